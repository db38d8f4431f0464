/**
 * The exchange journal as the side clients and the webhook see it: a write
 * that fails (the database busy or gone) never fails the exchange it records
 * — the message matters, its journal entry does not — but it is not dropped
 * silently either: a warn line says which exchange went unjournaled and why.
 * Made once in src/runtime/start-bridge.ts around the store's journal.
 */
import type { JournalEntry, JournalWriter } from '../domain/ports.ts';
import { codeOf, type Logger } from '../log/logger.ts';

export function loggedJournal(inner: JournalWriter, log: Logger): JournalWriter {
  return {
    async write(entry: JournalEntry): Promise<void> {
      try {
        await inner.write(entry);
      } catch (err) {
        log.warn({
          err, code: codeOf(err), side: entry.side, direction: entry.direction, endpoint: entry.endpoint, status: entry.status,
          ...(entry.conversationId ? { conversationId: entry.conversationId } : {}), ...(entry.jobId ? { jobId: entry.jobId } : {}),
        }, 'journal write failed; the exchange went through but is not journaled');
      }
    },
  };
}
