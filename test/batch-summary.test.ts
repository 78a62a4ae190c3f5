import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../src/batch/batch-summary.js';
import type { BatchSummary } from '../src/batch/runner.js';
import { BatchStats } from '../src/batch/stats.js';
import { formatSummary } from '../src/batch/summary.js';

function runnerSummary(dedupeFull: boolean): BatchSummary {
  return {
    stats: new BatchStats(), unfinished: 0, interrupted: false, systemic: undefined, notFinal: 0, gaveUp: false,
    dedupeFull, pauses: 0, passes: 1, journal: undefined, outputLines: undefined,
  };
}

describe('batch summary', () => {
  test('says when a name filter was full, in the JSON summary and in a note line, and says nothing when none was', () => {
    const full = summarize(runnerSummary(true), null, 'run.journal');
    assert.equal(full.dedupeFull, true);
    const note = formatSummary(full, { journal: 'run.journal' }).split('\n').filter(line => line.includes('note:'));
    assert.deepEqual(note, ['  note:       a name filter is full (100 million names): later duplicates and names final in the journal may be sent again (harmless)']);
    assert.equal(JSON.parse(JSON.stringify(full)).dedupeFull, true);

    const roomy = summarize(runnerSummary(false), null, 'run.journal');
    assert.equal(roomy.dedupeFull, false);
    assert.doesNotMatch(formatSummary(roomy, { journal: 'run.journal' }), /note:|filter/);
  });
});
