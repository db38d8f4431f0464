/**
 * `${NAME}` in a CONFIG_FILE value is replaced by the env variable NAME, so a file
 * with several bots and portals can keep every secret in the environment
 * (token: ${SUPPORT_BOT_TOKEN}). Only whole `${A_Z0_9}` names are replaced.
 */
import type { Env, Json } from './env.ts';
import type { ConfigProblem } from './problem.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

export interface Interpolation {
  problems: ConfigProblem[];
  /** Every variable the file refers to (they are not "unknown variables" then). */
  referenced: Set<string>;
}

function replaceIn(text: string, env: Env, path: PropertyKey[], out: Interpolation): string {
  return text.replace(REFERENCE, (whole, name: string) => {
    out.referenced.add(name);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    out.problems.push({ path, problem: `refers to \${${name}}, which is not set; fix: export ${name} (or write the value in the file)` });
    return whole;
  });
}

/** Returns a copy with references replaced; a missing variable is a problem naming it. */
export function interpolateEnv(data: unknown, env: Env, out: Interpolation, path: PropertyKey[] = []): unknown {
  if (typeof data === 'string') {
    const replaced = replaceIn(data, env, path, out);
    // `line_id: ${LINE_ID}` stays a number, as if written in the file.
    return WHOLE_REFERENCE.test(data) && /^\d+$/.test(replaced) ? Number(replaced) : replaced;
  }
  if (Array.isArray(data)) return data.map((item, i) => interpolateEnv(item, env, out, [...path, i]));
  if (data !== null && typeof data === 'object') {
    const copy: Json = {};
    for (const [key, value] of Object.entries(data as Json)) copy[key] = interpolateEnv(value, env, out, [...path, key]);
    return copy;
  }
  return data;
}
