/**
 * Batch encoding (spec §8): up to 50 commands per `batch` call, each a string
 * "method?query" with PHP bracket keys; one batch counts as ONE request for the
 * portal's leaky bucket, so coalescing is how we move more than 2 messages a
 * second. Results come back per key in `result`, failures in `result_error`.
 */
import { stringify } from 'qs';

export const BATCH_MAX_COMMANDS = 50;

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

export function encodeCommand(command: BatchCommand): string {
  const query = stringify(command.params ?? {}, { encodeValuesOnly: true });
  return query ? `${command.method}?${query}` : command.method;
}

export function chunkCommands<T>(entries: Array<[string, T]>, size = BATCH_MAX_COMMANDS): Array<Array<[string, T]>> {
  const chunks: Array<Array<[string, T]>> = [];
  for (let i = 0; i < entries.length; i += size) chunks.push(entries.slice(i, i + size));
  return chunks;
}

export interface BatchOutcome {
  results: Record<string, unknown>;
  errors: Record<string, { error: string; error_description: string }>;
}

/** PHP serialises an empty object as [] (spec §8): normalise both to {}. */
export function asRecord<T>(value: unknown): Record<string, T> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, T>) : {};
}
