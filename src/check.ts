import { Code } from './code.js';
import { OperationsError } from './errors.js';

/**
 * The one way options are checked, by the client, its calls, the retry policy and budget, the batch and the emulator:
 * a value that breaks its rule is INVALID_ARGUMENT naming the option, the rule and the value received
 * (`maxAttempts must be an integer >= 1, got 0`).
 */

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(shown).join(', ')}]`;
  return typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
}

/** The INVALID_ARGUMENT error of a bad option value, naming the option, the rule and the value received. */
export function invalidOption(option: string, rule: string, value: unknown): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `${option} must be ${rule}, got ${shown(value)}`);
}

/** A rule for a number: what it says in a message, and the test. NaN never passes. */
export interface NumberRule {
  readonly text: string;
  readonly ok: (n: number) => boolean;
}

export const integerAtLeast = (min: number, max = Number.MAX_SAFE_INTEGER): NumberRule => ({
  text: max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
  ok: n => Number.isInteger(n) && n >= min && n <= max,
});

export const finiteAtLeast = (min: number): NumberRule => ({ text: `a finite number >= ${min}`, ok: n => Number.isFinite(n) && n >= min });

/** A time budget or a rate: above 0, Infinity for none. */
export const POSITIVE_OR_INFINITE: NumberRule = { text: 'a number > 0 (Infinity for none)', ok: n => n > 0 };

export const FRACTION: NumberRule = { text: 'a number from 0 to 1', ok: n => n >= 0 && n <= 1 };

/** `value` if it is a number that keeps `rule`; INVALID_ARGUMENT naming `option` otherwise. */
export function checkNumber(option: string, value: unknown, rule: NumberRule): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !rule.ok(value)) throw invalidOption(option, rule.text, value);
  return value;
}
