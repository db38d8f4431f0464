/**
 * The journal as every hop writes to it: each entry's bodies pass the personal-data
 * masking policy (masking.ts, `privacy` in the configuration) on their way in, so no row
 * ever holds what the policy keeps out — masking applies when the row is written, never
 * later. Secrets were taken out before (redact.ts, by the side clients); both happen in
 * the process that made the exchange, before the row reaches the store.
 */
import type { JournalEntry, JournalWriter } from '../domain/ports.ts';
import type { Masker } from './masking.ts';

export function maskedJournal(inner: JournalWriter, masker: Masker): JournalWriter {
  return {
    write(entry: JournalEntry): Promise<void> {
      if (entry.requestBody === undefined && entry.responseBody === undefined) return inner.write(entry);
      const [requestBody, responseBody] = masker.exchange(entry.requestBody, entry.responseBody);
      return inner.write({
        ...entry,
        ...(requestBody !== undefined ? { requestBody } : {}),
        ...(responseBody !== undefined ? { responseBody } : {}),
      });
    },
  };
}
