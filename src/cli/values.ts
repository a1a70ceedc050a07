import { InvalidArgumentError } from 'commander';
import { checkPrecision } from '../precision/parse.js';

/* Parsers of command-line values, shared by the commands; each error completes "argument 'x' is invalid. ...". */

export function positiveInt(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer.');
  return Number(v);
}

export function nonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(v);
}

/** A number of `unit`s (named in the message), optionally an integer, optionally positive. */
export function numberIn(opts: { unit?: string; integer?: boolean; positive?: boolean } = {}): (v: string) => number {
  const what = `${opts.positive ? 'positive ' : ''}${opts.integer ? 'integer' : 'number'}`;
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.positive && n <= 0)) {
      throw new InvalidArgumentError(`must be a${/^[aeiou]/.test(what) ? 'n' : ''} ${what}${opts.unit ? ` (${opts.unit})` : ''}.`);
    }
    return n;
  };
}

export const positiveNumber = numberIn({ positive: true });

export function precisionArg(v: string): string {
  const why = checkPrecision(v);
  if (why) throw new InvalidArgumentError(`${why}.`);
  return v;
}

/** A repeatable option's values, in order. */
export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}
