import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { formatPath, type PathSegment } from './path.js';
import { closest } from './suggest.js';

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns zod's issues into messages a person acts on: unknown keys get a "did you mean", missing fields say
 * "is required", range errors name the range. `knownKeys` returns the allowed keys of the object at a path.
 */
export function fromZodIssues(
  issues: readonly ZodIssue[],
  knownKeys: (path: readonly PathSegment[]) => string[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = knownKeys(path);
      for (const key of issue.keys) {
        const guess = closest(key, allowed);
        out.push({
          path: formatPath([...path, key]),
          message: 'unknown field',
          fix: guess ? `did you mean "${guess}"?` : `remove it; allowed here: ${allowed.join(', ')}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0];
      out.push({ path: formatPath(path), message: `invalid name: ${inner?.message ?? 'not allowed'}` });
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue) });
  }
  return out;
}

function describe(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)} (got ${typeName(issue.input)})`;
    case 'too_small':
      if (issue.origin === 'number') return `must be at least ${String(issue.minimum)} (got ${String(issue.input)})`;
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      return 'must not be empty';
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${String(issue.maximum)} (got ${String(issue.input)})`;
      return issue.message;
    case 'invalid_value':
      return issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map(String).join(', ')}` : issue.message;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL such as http://host:48010/mcp' : issue.message;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  const noun = expected === 'record' || expected === 'object' ? 'mapping' : expected === 'array' ? 'list' : expected;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // Strings are never echoed: a misplaced secret would end up in the terminal.
  if (typeof value === 'string') return 'a string';
  return `${typeof value} ${JSON.stringify(value)}`;
}
