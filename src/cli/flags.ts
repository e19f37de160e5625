import { UserError } from '../errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/**
 * A duration flag in seconds. One syntax for every flag that takes one (--timeout, --expires, --grace): a bare
 * number of seconds, or a number with a unit (s, m, h, d, w).
 */
export function flagDuration(flag: string, value: string, example = '90'): number {
  const match = /^([1-9][0-9]*)([smhdw]?)$/.exec(value.trim());
  if (!match)
    throw new UserError(`${flag} ${value} is not a duration`, `give seconds or a number with a unit (s, m, h, d, w), e.g. ${flag} ${example} or ${flag} 2m`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
}

/** A whole-number flag of at least `min`. */
export function flagInteger(flag: string, value: string, min: number, example: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min)
    throw new UserError(`${flag} ${value} is not a whole number of ${min} or more`, `e.g. ${flag} ${example}`);
  return Number(value);
}
