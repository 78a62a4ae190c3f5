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
