import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { ApiError } from '../src/emulator/api-error.js';
import { DROP, Faults } from '../src/emulator/faults.js';
import { resolveFaults } from '../src/emulator/options.js';
import { seededRandom } from '../src/emulator/random.js';

const faults = (settings = {}, seed = 1): Faults => new Faults(resolveFaults(settings), seededRandom(seed));

/** The decision for a call carrying only this fault header (no quota, no global faults). */
function byHeader(f: Faults, header: string, callKey = 'CancelOperation x'): ReturnType<Faults['decide']> {
  return f.decide(f.headerDecision(header, callKey), undefined, 0, 'GetOperation');
}

function codeOf(decision: ReturnType<Faults['decide']>): string {
  if (decision === undefined) return 'served';
  return decision === DROP ? 'DROP' : Code[decision.code] as string;
}

describe('fault decisions', () => {
  test('the header picks a code, DROP, or nothing by its rate; a bad header is INVALID_ARGUMENT naming it', () => {
    const f = faults();
    assert.equal(codeOf(byHeader(f, 'code=UNAVAILABLE')), 'UNAVAILABLE');
    assert.equal(codeOf(byHeader(f, ' code = drop ; rate = 1 ')), 'DROP');
    assert.equal(codeOf(byHeader(f, 'code=INTERNAL;rate=0')), 'served');
    for (const bad of ['rate=0.5', 'code=OK', 'code=NOPE', 'code=UNAVAILABLE;rate=2', 'code=UNAVAILABLE;when=now']) {
      const decision = byHeader(f, bad);
      assert.ok(decision instanceof ApiError && decision.code === Code.INVALID_ARGUMENT, bad);
      assert.match(decision.message, /x-emulator-fault/);
    }
  });

  test('times=2 fails the first two calls of a method on a name, then serves; other names count apart', () => {
    const f = faults();
    const header = 'code=UNAVAILABLE;times=2';
    assert.deepEqual([1, 2, 3, 4].map(() => codeOf(byHeader(f, header, 'CancelOperation a'))), ['UNAVAILABLE', 'UNAVAILABLE', 'served', 'served']);
    assert.equal(codeOf(byHeader(f, header, 'CancelOperation b')), 'UNAVAILABLE');
    assert.equal(codeOf(byHeader(f, header, 'GetOperation a')), 'UNAVAILABLE');
  });

  test('delay-ms alone delays the call without failing it', () => {
    const f = faults();
    const decision = f.headerDecision('delay-ms=250;times=1', 'CancelOperation a');
    assert.ok(!(decision instanceof ApiError));
    assert.equal(decision.delayMs, 250);
    assert.equal(decision.fault, undefined);
    const second = f.headerDecision('delay-ms=250;times=1', 'CancelOperation a');
    assert.ok(!(second instanceof ApiError) && second.delayMs === 0);
  });

  test('a rate of 0.3 fails about 30% of calls, the same ones for the same seed', () => {
    const run = (seed: number): string => Array.from({ length: 1000 }, () => codeOf(byHeader(faults({}, seed), 'code=ABORTED;rate=0.3'))).join();
    const once = faults({}, 9);
    const outcomes = Array.from({ length: 1000 }, () => codeOf(byHeader(once, 'code=ABORTED;rate=0.3')));
    const failed = outcomes.filter(o => o === 'ABORTED').length;
    assert.ok(failed > 230 && failed < 370, `${failed} of 1000`);
    assert.equal(run(3), run(3));
  });

  test('--fail-rate with RESOURCE_EXHAUSTED carries RetryInfo of --retry-delay-ms', () => {
    const decision = faults({ failRate: 1, failCode: 'RESOURCE_EXHAUSTED', retryDelayMs: 2500 }).decide(undefined, undefined, 0, 'GetOperation');
    assert.ok(decision instanceof ApiError);
    assert.equal(decision.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(decision.retryDelayMs, 2500);
  });

  test('the quota allows N calls per project per second and says how long until the window ends', () => {
    const f = faults({ quotaRps: 2 });
    assert.equal(codeOf(f.decide(undefined, 'a', 10_100, 'GetOperation')), 'served');
    assert.equal(codeOf(f.decide(undefined, 'a', 10_200, 'GetOperation')), 'served');
    const over = f.decide(undefined, 'a', 10_300, 'GetOperation');
    assert.ok(over instanceof ApiError && over.code === Code.RESOURCE_EXHAUSTED);
    assert.equal(over.retryDelayMs, 700);
    assert.equal(codeOf(f.decide(undefined, 'b', 10_400, 'GetOperation')), 'served', 'another project has its own quota');
    assert.equal(codeOf(f.decide(undefined, 'a', 11_000, 'GetOperation')), 'served', 'a new second, a new window');
  });

  test('the delay header adds to the global latency; a malformed one is INVALID_ARGUMENT', () => {
    const f = faults({ latencyMs: 5 });
    assert.equal(f.delayMs(undefined), 5);
    assert.equal(f.delayMs('200'), 205);
    assert.throws(() => f.delayMs('soon'), (error: unknown) => error instanceof ApiError && /x-emulator-delay-ms/.test(error.message));
    assert.throws(() => f.delayMs('99999999'), ApiError);
  });

  test('settings change at run time and bad values are refused naming the field', () => {
    const f = faults();
    f.update({ failRate: 0.5 });
    assert.equal(f.settings.failRate, 0.5);
    assert.equal(f.settings.failCode, 'UNAVAILABLE');
    assert.throws(() => f.update({ failRate: 3 }), /failRate/);
    assert.throws(() => f.update({ failCode: 'OK' }), /failCode/);
  });
});

describe('fault methods', () => {
  test('failRate and failMix apply only to the methods in failMethods', () => {
    const f = faults({ failRate: 1, failMethods: ['GetOperation'] });
    assert.equal(codeOf(f.decide(undefined, undefined, 0, 'CancelOperation')), 'served');
    assert.notEqual(codeOf(f.decide(undefined, undefined, 0, 'GetOperation')), 'served');
    assert.throws(() => faults({ failMethods: ['Cancel'] as never }), /failMethods: expected an array of method names/);
  });
});
