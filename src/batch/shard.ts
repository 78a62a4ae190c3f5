import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** Which part of a batch this process takes: names whose `stableShard(name, count)` is `index`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Shard counts above this are surely a typo; it also keeps `index/count` exact in 32-bit arithmetic. */
const MAX_SHARD_COUNT = 1_000_000;

/**
 * FNV-1a 32-bit over the UTF-8 bytes of `text` (offset basis 2166136261, prime 16777619), as an unsigned integer.
 * Chosen because it is fully specified and trivial to reimplement in any language, so a shard assignment can be
 * checked or reproduced anywhere; the same on every machine and Node version (the bytes are computed here, not by a
 * locale- or engine-dependent API). Test vectors: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    let point = text.codePointAt(i) as number;
    if (point > 0xffff) i += 1;
    else if (point >= 0xd800 && point <= 0xdfff) point = 0xfffd; // a lone surrogate encodes as U+FFFD, as Buffer does
    if (point < 0x80) {
      hash = Math.imul(hash ^ point, 0x01000193);
    } else if (point < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (point >> 6)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (point & 0x3f)), 0x01000193);
    } else if (point < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (point >> 12)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((point >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (point & 0x3f)), 0x01000193);
    } else {
      hash = Math.imul(hash ^ (0xf0 | (point >> 18)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((point >> 12) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((point >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (point & 0x3f)), 0x01000193);
    }
  }
  return hash >>> 0;
}

/**
 * The shard of `name` among `count`: `fnv1a32(name) % count`. Every name lands in exactly one shard, and the same
 * one on every machine, so n processes given the same input with `--shard 0/n` .. `--shard n-1/n` cancel each name
 * once between them, with no coordination.
 */
export function stableShard(name: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `shard count must be an integer >= 1, got ${count}`);
  }
  return fnv1a32(name) % count;
}

/** `--shard i/n` (0 <= i < n), e.g. `--shard 2/8` for the third of eight shards. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || count > MAX_SHARD_COUNT || index >= count) {
    throw new OperationsError(
      Code.INVALID_ARGUMENT,
      `--shard ${JSON.stringify(text)}: expected i/n with 0 <= i < n <= ${MAX_SHARD_COUNT}, e.g. --shard 0/4 .. --shard 3/4`,
    );
  }
  return { index, count };
}

/** The environment variables read; any other keys are ignored. */
export type ShardEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The shard a job platform assigns, for runs without `--shard`:
 * - Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX but not the number of completions, so the count must come from
 *   `--shard-count` (`countOverride`); an index without a count is an error rather than every pod taking everything.
 * - Cloud Run Jobs set CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT (`countOverride`, when given, wins).
 * Undefined when no platform index is set, or when the count is 1 (nothing to split). `--shard-count` with no index
 * in the environment is an error: the run was meant to be split and would otherwise take the whole input.
 */
export function shardFromEnvironment(env: ShardEnvironment, countOverride?: number | undefined): Shard | undefined {
  const kubernetes = nonEmpty(env['JOB_COMPLETION_INDEX']);
  const cloudRun = nonEmpty(env['CLOUD_RUN_TASK_INDEX']);
  if (countOverride !== undefined && !(Number.isInteger(countOverride) && countOverride >= 1 && countOverride <= MAX_SHARD_COUNT)) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `--shard-count ${countOverride}: expected an integer from 1 to ${MAX_SHARD_COUNT}`);
  }
  let shard: Shard;
  if (kubernetes !== undefined) {
    if (countOverride === undefined) {
      throw new OperationsError(
        Code.INVALID_ARGUMENT,
        `JOB_COMPLETION_INDEX=${kubernetes} is set (a Kubernetes Indexed Job) but the shard count is unknown: pass --shard-count N (the Job's completions) or --shard i/n`,
      );
    }
    shard = { index: envIndex('JOB_COMPLETION_INDEX', kubernetes), count: countOverride };
  } else if (cloudRun !== undefined) {
    const countText = nonEmpty(env['CLOUD_RUN_TASK_COUNT']);
    const count = countOverride ?? (countText === undefined ? undefined : envIndex('CLOUD_RUN_TASK_COUNT', countText));
    if (count === undefined || count < 1 || count > MAX_SHARD_COUNT) {
      throw new OperationsError(
        Code.INVALID_ARGUMENT,
        `CLOUD_RUN_TASK_INDEX=${cloudRun} is set but CLOUD_RUN_TASK_COUNT is ${countText === undefined ? 'not' : JSON.stringify(countText)}: expected an integer from 1 to ${MAX_SHARD_COUNT} (or pass --shard-count N)`,
      );
    }
    shard = { index: envIndex('CLOUD_RUN_TASK_INDEX', cloudRun), count };
  } else {
    if (countOverride !== undefined) {
      throw new OperationsError(
        Code.INVALID_ARGUMENT,
        `--shard-count ${countOverride} needs JOB_COMPLETION_INDEX or CLOUD_RUN_TASK_INDEX in the environment; outside such a job use --shard i/n`,
      );
    }
    return undefined;
  }
  if (shard.index >= shard.count) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `shard index ${shard.index} from the environment is not below the shard count ${shard.count}`);
  }
  return shard.count === 1 ? undefined : shard;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function envIndex(variable: string, value: string): number {
  if (!/^\d{1,7}$/.test(value)) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${variable}=${JSON.stringify(value)}: expected a non-negative integer`);
  }
  return Number(value);
}
