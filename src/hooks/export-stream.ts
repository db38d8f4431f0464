/**
 * An export as bytes, produced as it is read (docs/exports.md, "Memory"): the store hands
 * over one page of rows at a time (src/store/repos/export-repo.ts), each row becomes one
 * masked record and one line, and each page leaves as one chunk. The consumer pulls (an
 * async generator: `Readable.from` to a file or an HTTP response), so a slow reader holds the
 * export at its current page instead of letting text pile up: memory is a page of rows and
 * its chunk, whatever the number of rows.
 */
import type { Masker } from '../journal/masking.ts';
import type { Store } from '../store/open-store.ts';
import type { ConversationExportRow, ExportPage, JournalExportRow, MessageExportRow } from '../store/repos/export-repo.ts';
import { csvHeader, csvLine, ndjsonLine, UTF8_BOM } from './export-format.ts';
import type { ExportRequest } from './export-query.ts';
import { conversationRecord, EXPORT_COLUMNS, journalRecord, messageRecord, type ExportRecord } from './export-records.ts';

/**
 * A turn of the event loop between pages. Everything an export does can complete without
 * one — SQLite answers synchronously, and a socket that takes each write at once lets the
 * stream ask for the next chunk in the same tick — so a fast reader kept the bridge's loop
 * busy for the whole export (a 10 ms timer fired 3 times in a 6 s export of 100,000 rows):
 * no webhook answered, no job ran. With a turn per page they run between pages.
 */
const eventLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** 16 K characters (at most 64 KB of UTF-8): well under the size V8 gives a string of its own place in the old generation. */
const PART_CHARS = 16 * 1024;

export interface ExportProgress {
  /** Called after each page with the rows written so far. */
  onRows?(rows: number): void;
}

/** Pages of one kind's rows, each row turned into its record when it is written. */
interface RecordPages {
  pages: AsyncGenerator<ExportPage<unknown>>;
  record(row: unknown): ExportRecord;
}

function recordPages(store: Store, masker: Masker, request: ExportRequest): RecordPages {
  const range = { fromMs: request.fromMs, toMs: request.toMs };
  switch (request.kind) {
    case 'conversations':
      return { pages: store.exports.conversations(range), record: (r) => conversationRecord(r as ConversationExportRow, masker) };
    case 'journal':
      return { pages: store.exports.journal(range), record: (r) => journalRecord(r as JournalExportRow) };
    case 'messages':
      return { pages: store.exports.messages(range), record: (r) => messageRecord(r as MessageExportRow, masker) };
  }
}

/**
 * The export's bytes (UTF-8), a chunk per page: a header (CSV) or a BOM when asked, then a line
 * per record. A page is turned into bytes whole, between two turns of the event loop, so no
 * row or record lives across a turn: the bridge's garbage collector then meets them only while
 * young and frees them at once. (Chunks of a fixed size, cut in the middle of a page, kept
 * the page's rows alive across turns, where V8 collects the young objects more often: they
 * were moved to the old generation and piled up there until a full collection — with the two
 * causes in src/store/repos/export-repo.ts, a heap swinging by 60 MB on an export of 100,000
 * messages, against under 10 MB now; docs/performance.md, "Export".)
 * A page's text is encoded in parts of PART_CHARS, so it never becomes one long string (a
 * string over 128 KB goes straight to V8's old generation too).
 */
export async function* exportBytes(store: Store, masker: Masker, request: ExportRequest, progress: ExportProgress = {}): AsyncGenerator<Buffer> {
  const columns = EXPORT_COLUMNS[request.kind];
  const line = request.format === 'csv' ? csvLine : ndjsonLine;
  const head = `${request.bom ? UTF8_BOM : ''}${request.format === 'csv' ? csvHeader(columns) : ''}`;
  const { pages, record } = recordPages(store, masker, request);
  let rows = 0;
  if (head !== '') yield Buffer.from(head);
  for await (const page of pages) {
    const parts: Buffer[] = [];
    let text = '';
    for (let i = 0; i < page.length; i++) {
      text += line(columns, record(page.row(i)));
      if (text.length >= PART_CHARS) {
        parts.push(Buffer.from(text));
        text = '';
      }
    }
    if (text !== '') parts.push(Buffer.from(text));
    rows += page.length;
    yield parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts);
    progress.onRows?.(rows);
    await eventLoopTurn();
  }
  progress.onRows?.(rows);
}
