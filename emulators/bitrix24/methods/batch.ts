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

function resolveReference(results: Record<string, unknown>, path: string): string {
  const keys = [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string);
  let value: unknown = results;
  for (const key of keys) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

/** Replaces `$result[key][field]…` in a command with the referenced value. */
function substitute(command: string, results: Record<string, unknown>): string {
  return command.replace(/\$result((?:\[[^\]]*\])+)/g, (_m, path: string) => encodeURIComponent(resolveReference(results, path)));
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
    const command = substitute(String(raw), result);
    const [method = '', query = ''] = command.split('?', 2);
    const started = Date.now();
    try {
      if (method === 'batch') throw b24Errors.batchMethod();
      const commandParams = parseQuery(query, { depth: 10, arrayLimit: 1000 }) as Record<string, unknown>;
      const injected = commandFault?.(method.replace(/\.json$/, ''), commandParams);
      if (injected) throw injected;
      const value = runMethod(ctx, portal, auth, method.replace(/\.json$/, ''), commandParams);
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
