import { InvalidArgumentError } from 'commander';

/** Commander parsers that say which flag and what was expected, so bad usage exits 2 with a useful message. */
export function integerAtLeast(flag: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} expects an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

export function numberAtLeast(flag: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) {
      throw new InvalidArgumentError(`${flag} expects a number >= ${min}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

export function oneOf<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} expects one of ${choices.join('|')}, got ${JSON.stringify(value)}`);
    }
    return value as T;
  };
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration flag as gcloud spells them: `30m`, `90s`, `1h`, `500ms`, or a bare number of seconds. The value is in
 * milliseconds, at least `minMs`.
 */
export function durationMs(flag: string, minMs: number): (value: string) => number {
  return (value: string) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
    const ms = match === null ? NaN : Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? NaN);
    if (!Number.isFinite(ms) || ms < minMs) {
      throw new InvalidArgumentError(`${flag} expects a duration such as 30m, 90s, 1h or 500ms (a bare number is seconds) of at least ${minMs} ms, got ${JSON.stringify(value)}`);
    }
    return Math.round(ms);
  };
}
