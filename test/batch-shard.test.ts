import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { fnv1a32, parseShard, shardFromEnvironment, stableShard } from '../src/batch/shard.js';

function invalidArgument(pattern: RegExp): (error: unknown) => boolean {
  return error => {
    assert.ok(error instanceof OperationsError, String(error));
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    assert.match(error.message, pattern);
    return true;
  };
}

/** FNV-1a 32 written the textbook way, over the bytes Node's own UTF-8 encoder gives. */
function referenceFnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

describe('stableShard', () => {
  test('hashes with FNV-1a 32 over UTF-8: the published test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  test('gives the same bytes as a UTF-8 encoder for non-ASCII text, astral characters and lone surrogates', () => {
    for (const text of ['café', 'operations/日本', 'emoji-😀-x', 'lone-\ud800-surrogate', '\udfff', 'ÿ\u07ff\u0800\uffff']) {
      assert.equal(fnv1a32(text), referenceFnv1a32(text), text);
    }
  });

  test('keeps pinned shards for known names, so a change of hash fails here before it splits a batch differently', () => {
    assert.equal(fnv1a32('projects/p/locations/l/operations/1'), 0xda2cf75f);
    assert.equal(stableShard('projects/p/locations/l/operations/1', 4), 3);
    assert.equal(stableShard('projects/p/locations/l/operations/2', 4), 2);
    assert.equal(fnv1a32('projects/my-project/locations/us-central1/operations/op-42'), 0xab82e57b);
    assert.equal(stableShard('projects/my-project/locations/us-central1/operations/op-42', 10), 3);
    assert.equal(stableShard('projects/my-project/locations/us-central1/operations/op-43', 10), 4);
  });

  test('shards 0/4 to 3/4 cover a set of names exactly once between them, evenly', () => {
    const names = Array.from({ length: 40_000 }, (_, i) => `projects/p${i % 7}/locations/l/operations/op-${i}`);
    const perShard = [0, 0, 0, 0];
    for (const name of names) {
      const owners = [0, 1, 2, 3].filter(index => stableShard(name, 4) === index);
      assert.equal(owners.length, 1);
      const owner = owners[0] as number;
      perShard[owner] = (perShard[owner] ?? 0) + 1;
    }
    for (const count of perShard) assert.ok(count > 9_000 && count < 11_000, `uneven shards: ${perShard.join(', ')}`);
  });

  test('refuses a shard count below 1', () => {
    assert.throws(() => stableShard('x', 0), invalidArgument(/shard count must be an integer >= 1, got 0/));
  });
});

describe('parseShard', () => {
  test('reads i/n', () => {
    assert.deepEqual(parseShard('0/4'), { index: 0, count: 4 });
    assert.deepEqual(parseShard(' 3 / 4 '), { index: 3, count: 4 });
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  });

  test('refuses anything else, naming --shard, the value and what was expected', () => {
    for (const text of ['4/4', '1/0', '-1/4', '1', '1/2/3', 'a/b', '', '1.5/4', '0/99999999']) {
      assert.throws(() => parseShard(text), invalidArgument(/--shard ".*": expected i\/n with 0 <= i < n/), text);
    }
  });
});

describe('shardFromEnvironment', () => {
  test('takes a Kubernetes Indexed Job index with the count from --shard-count', () => {
    assert.deepEqual(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }, 5), { index: 2, count: 5 });
  });

  test('refuses a Kubernetes index without a count rather than have every pod take everything', () => {
    assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }), invalidArgument(/JOB_COMPLETION_INDEX=2 .*--shard-count/));
  });

  test('takes a Cloud Run task index and count', () => {
    assert.deepEqual(shardFromEnvironment({ CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '3' }), { index: 1, count: 3 });
    assert.deepEqual(shardFromEnvironment({ CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '3' }, 8), { index: 1, count: 8 });
  });

  test('is undefined outside a job, or for a job of one task', () => {
    assert.equal(shardFromEnvironment({}), undefined);
    assert.equal(shardFromEnvironment({ JOB_COMPLETION_INDEX: '', PATH: '/bin' }), undefined);
    assert.equal(shardFromEnvironment({ CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '1' }), undefined);
  });

  test('refuses bad values, naming the variable', () => {
    assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: 'x' }, 4), invalidArgument(/JOB_COMPLETION_INDEX="x": expected a non-negative integer/));
    assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '4' }, 4), invalidArgument(/shard index 4 .* not below the shard count 4/));
    assert.throws(() => shardFromEnvironment({ CLOUD_RUN_TASK_INDEX: '0' }), invalidArgument(/CLOUD_RUN_TASK_COUNT is not/));
    assert.throws(() => shardFromEnvironment({ CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '0' }), invalidArgument(/CLOUD_RUN_TASK_COUNT is "0"/));
    assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '0' }, 0), invalidArgument(/--shard-count 0: expected an integer/));
  });

  test('refuses --shard-count outside a job, where it would otherwise be ignored', () => {
    assert.throws(() => shardFromEnvironment({}, 4), invalidArgument(/--shard-count 4 needs JOB_COMPLETION_INDEX or CLOUD_RUN_TASK_INDEX/));
  });
});
