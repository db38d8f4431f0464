/**
 * `batch` (spec §8): up to 50 commands as "method?query" strings, `halt`,
 * `$result[key][field]` references to earlier results, per-command errors in
 * `result_error`. Always HTTP 200. No nested batch. Sub-calls count toward each
 * method's operating time; the batch itself is one request for the bucket.
 */
import { parse as parseQuery } from 'qs';
import { param, type Bitrix24Context, type CallAuth } from '../context.ts';
import { B24Error, b24Errors } from '../errors.ts';
import type { PortalState } from '../portal.ts';
import { runMethod } from '../registry.ts';
import { isListPage } from './list-page.ts';

export const BATCH_MAX_COMMANDS = 50;

const REFERENCE = /\$result((?:\[[^\]]*\])+)/g;
const WHOLE_REFERENCE = /^\$result((?:\[[^\]]*\])+)$/;

function resolveReference(results: Record<string, unknown>, path: string): unknown {
  const keys = [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string);
  let value: unknown = results;
  for (const key of keys) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

const asText = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'object' ? '' : String(value));

/**
 * Replaces `$result[key][field]…` in the command's parameter values, after the query
 * string was decoded as PHP parses it: the portal decodes first, so a reference the SDK
 * sends encoded (`id=%24result%5Ba%5D`, docs' batch.md HTTP example) resolves like a
 * plain one. A value that is one whole reference to a list or object gets that
 * structure [?: not documented]; inside a longer string a reference becomes its text.
 */
function substitute(value: unknown, results: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_REFERENCE.exec(value);
    if (whole) {
      const resolved = resolveReference(results, whole[1] as string);
      return resolved !== null && typeof resolved === 'object' ? resolved : asText(resolved);
    }
    return value.replace(REFERENCE, (_m, path: string) => asText(resolveReference(results, path)));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, results));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, results)]));
  return value;
}

/** An injected failure of one command (faults.ts `pickCommand`), reported in `result_error` like any. */
export type CommandFault = (method: string, params: Record<string, unknown>) => B24Error | null;

export function runBatch(ctx: Bitrix24Context, portal: PortalState, auth: CallAuth, params: Record<string, unknown>, commandFault?: CommandFault) {
  const cmd = param(params, 'cmd');
  if (!cmd || typeof cmd !== 'object') throw b24Errors.argument('cmd');
  const entries = Object.entries(cmd as Record<string, unknown>);
  if (entries.length > BATCH_MAX_COMMANDS) throw b24Errors.batchLength();
  const halt = ['1', 'true', 'Y'].includes(String(param(params, 'halt') ?? '0'));
  const result: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const total: Record<string, number> = {};
  const next: Record<string, number> = {};
  const times: Record<string, unknown> = {};
  for (const [key, raw] of entries) {
    const command = String(raw);
    const at = command.indexOf('?');
    const method = at < 0 ? command : command.slice(0, at);
    const query = at < 0 ? '' : command.slice(at + 1);
    const started = Date.now();
    try {
      if (method === 'batch') throw b24Errors.batchMethod();
      const params = substitute(parseQuery(query, { depth: 10, arrayLimit: 1000 }), result) as Record<string, unknown>;
      const injected = commandFault?.(method.replace(/\.json$/, ''), params);
      if (injected) throw injected;
      const value = runMethod(ctx, portal, auth, method.replace(/\.json$/, ''), params);
      if (isListPage(value)) {
        result[key] = value.result;
        total[key] = value.total;
        if (value.next !== undefined) next[key] = value.next;
      } else {
        result[key] = value;
      }
      times[key] = { start: started / 1000, finish: Date.now() / 1000, duration: (Date.now() - started) / 1000 };
    } catch (err) {
      const e = err instanceof B24Error ? err : b24Errors.internal();
      errors[key] = e.toBody();
      if (halt) break;
    }
  }
  // PHP serialises empty collections as [] (spec §8).
  const phpObject = (o: Record<string, unknown>) => (Object.keys(o).length ? o : []);
  return {
    result: phpObject(result), result_error: phpObject(errors), result_total: phpObject(total),
    result_next: phpObject(next), result_time: phpObject(times),
  };
}
