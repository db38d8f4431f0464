/**
 * One configuration problem, turned into a line a newcomer can act on:
 * `<key> (env NAME | line N): <what is wrong>; fix: <how>`. The fix comes from
 * src/config/key-hints.ts unless the problem already names one. Values are never
 * quoted back (they may be secrets); only key names and ids are.
 */
import type { z } from 'zod';
import type { EnvSources, Json } from './env.ts';
import { hintFor } from './key-hints.ts';
import { nearestName } from './nearest-name.ts';

export interface ConfigProblem {
  path: PropertyKey[];
  /** What is wrong. */
  problem: string;
}

export interface ProblemContext {
  envSources: EnvSources;
  /** Line in CONFIG_FILE of the key at `path`, when it came from the file. */
  lineOf: (path: PropertyKey[]) => number | undefined;
  /** Every key name the schema knows, for "did you mean". */
  knownKeys: readonly string[];
}

export function displayKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const part of path) key += typeof part === 'number' ? `[${part}]` : `${key ? '.' : ''}${String(part)}`;
  return key;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const part of path) node = node !== null && typeof node === 'object' ? (node as Json)[part as string] : undefined;
  return node;
}

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'a whole number', string: 'text (quote it in YAML if it looks like a number)',
  array: 'a list (YAML lines starting with "- ")', object: 'a section of keys', boolean: 'true or false',
};

/** Zod issue → problem(s); `data` is the merged input, to tell "missing" from "wrong". */
export function problemsFromIssue(issue: z.core.$ZodIssue, data: unknown, knownKeys: readonly string[]): ConfigProblem[] {
  const path = issue.path;
  switch (issue.code) {
    case 'invalid_type':
      if (valueAt(data, path) === undefined) return [{ path, problem: 'is required but missing' }];
      // A number field given text ("eighty") reports "number"; every number key here is whole but one.
      return [{ path, problem: `must be ${EXPECTED[issue.expected] ?? issue.expected}` }];
    case 'too_small':
      if (issue.origin === 'string') return [{ path, problem: `is too short (at least ${String(issue.minimum)} characters)` }];
      if (issue.origin === 'array') return [{ path, problem: `needs at least ${String(issue.minimum)} entries` }];
      return [{ path, problem: `must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}` }];
    case 'too_big':
      if (issue.origin === 'string') return [{ path, problem: `is too long (at most ${String(issue.maximum)} characters)` }];
      return [{ path, problem: `must be at most ${String(issue.maximum)}` }];
    case 'invalid_value':
      return [{ path, problem: `must be one of: ${issue.values.map(String).join(', ')}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const near = nearestName(key, knownKeys);
        return {
          path: [...path, key],
          problem: `is not a known key; fix: ${near ? `did you mean "${near}"?` : 'remove it or check its spelling against config/example.yaml'}`,
        };
      });
    case 'custom':
    case 'invalid_format':
      return [{ path, problem: issue.message }];
    default:
      return [{ path, problem: 'has an invalid value' }];
  }
}

export function formatProblem(p: ConfigProblem, context: ProblemContext): string {
  const key = displayKey(p.path);
  if (key === '') return p.problem;
  const env = context.envSources.get(key);
  const line = env ? undefined : context.lineOf(p.path);
  const where = env ? ` (env ${env})` : line !== undefined ? ` (line ${line})` : '';
  const hint = p.problem.includes('fix:') ? undefined : hintFor(key);
  return `${key}${where}: ${p.problem}${hint ? `; fix: ${hint}` : ''}`;
}
