/**
 * Readable log lines for a person at a terminal (the sandbox, `npm start` in a
 * shell): `12:04:05.123 WARN  line-flush: text  key=value …`. It sits after
 * pino's redaction and serializers (it reads the JSON line pino wrote), so it
 * shows nothing the JSON would not.
 *
 * Built in instead of pino-pretty: ~50 lines against a dependency that brings a
 * dozen packages (colorette, dateformat, help-me, joycon, pump, secure-json-parse,
 * sonic-boom…) and, as a pino transport, a worker thread that the esbuild bundle
 * of `npm start` would have to ship separately (docs/dependencies.md).
 */
import type { DestinationStream } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, shown in the line's head or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);
/** Error level and above: the stack is shown below the line. */
const STACK_FROM_LEVEL = 50;

function valueText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

function errorText(err: { type?: string; message?: string; code?: string }): string {
  return valueText(`${err.type ?? 'Error'}: ${err.message ?? ''}${err.code ? ` (${err.code})` : ''}`);
}

/** One JSON line of pino → one readable line (plus the stack of an error at error level). */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`; // not ours to reformat
  }
  const level = Number(entry.level);
  const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
  const head = `${time} ${(LEVEL_NAMES[level] ?? String(entry.level)).padEnd(5)} ${entry.component ? `${String(entry.component)}: ` : ''}${String(entry.msg ?? '')}`;
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key) || value === undefined) continue;
    const err = (key === 'err' || key === 'error') && value && typeof value === 'object' ? (value as { type?: string; message?: string; code?: string; stack?: string }) : null;
    fields.push(`${key}=${err ? errorText(err) : valueText(value)}`);
    if (err?.stack && level >= STACK_FROM_LEVEL) stack = `\n    ${err.stack.split('\n').slice(1).map((l) => l.trim()).join('\n    ')}`;
  }
  return `${head}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/** A pino destination that writes readable lines to `out`. */
export function prettyDestination(out: DestinationStream): DestinationStream {
  return { write: (line: string) => out.write(prettyLine(line)) };
}
