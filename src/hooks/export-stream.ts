/**
 * An export as bytes, produced as it is read (docs/exports.md, "Memory"): the store hands
 * over one page of rows at a time (src/store/repos/export-repo.ts), each row becomes one
 * masked record and one line, and each page leaves as one chunk. The consumer pulls (an
 * async generator: `Readable.from` to a file or an HTTP response), so a slow reader holds the
 * export at its current page instead of letting text pile up: memory is a page of rows and
 * its chunk, whatever the number of rows.
 *
 * Messages are two tables read side by side — clients' messages (`messages`) and operators'
 * message parts (`outbound_parts`) — each in time order, merged into one time order.
 */
import type { Masker } from '../journal/masking.ts';
import type { Store } from '../store/open-store.ts';
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

export interface ExportProgress {
  /** Called after each page with the rows written so far. */
  onRows?(rows: number): void;
}

/** A page of rows as a page of records: the stored rows (a message's line item, an operator's event) go as soon as their page is read. */
async function* asRecords<R>(pages: AsyncGenerator<R[]>, toRecord: (row: R) => ExportRecord): AsyncGenerator<ExportRecord[]> {
  for await (const page of pages) yield page.map(toRecord);
}

/** The records of the request's kind, in time order, a page at a time. */
function records(store: Store, masker: Masker, request: ExportRequest): AsyncGenerator<ExportRecord[]> {
  const range = { fromMs: request.fromMs, toMs: request.toMs };
  switch (request.kind) {
    case 'conversations':
      return asRecords(store.exports.conversations(range), (r) => conversationRecord(r, masker));
    case 'journal':
      return asRecords(store.exports.journal(range), journalRecord);
    case 'messages':
      return mergedByTime(
        asRecords(store.exports.inboundMessages(range), (r) => messageRecord(r, masker)),
        asRecords(store.exports.outboundMessages(range), (r) => messageRecord(r, masker)),
      );
  }
}

/** Message order across the two tables: time, then clients' before operators' at the same ms, then the row id. */
function before(a: ExportRecord, b: ExportRecord): boolean {
  if (a.created_at_ms !== b.created_at_ms) return Number(a.created_at_ms) < Number(b.created_at_ms);
  if (a.direction !== b.direction) return a.direction === 'in';
  return Number(a.row_id) < Number(b.row_id);
}

/**
 * Two time-ordered page streams as one, in pages: a page is emitted up to the earlier of the
 * two pages' last rows, so neither stream is read more than a page ahead of the other.
 * Records, not rows, wait here: an operators' page covers more time than a clients' one and
 * waits for several of theirs, and a record is a few strings where its row held its event.
 */
export async function* mergedByTime(a: AsyncGenerator<ExportRecord[]>, b: AsyncGenerator<ExportRecord[]>): AsyncGenerator<ExportRecord[]> {
  const next = async (g: AsyncGenerator<ExportRecord[]>) => {
    const r = await g.next();
    return r.done ? null : r.value;
  };
  let left = await next(a);
  let right = await next(b);
  try {
    while (left !== null && right !== null) {
      const out: ExportRecord[] = [];
      let i = 0;
      let j = 0;
      while (i < left.length && j < right.length) out.push(before(left[i] as ExportRecord, right[j] as ExportRecord) ? left[i++] as ExportRecord : right[j++] as ExportRecord);
      yield out;
      left = i < left.length ? left.slice(i) : await next(a);
      right = j < right.length ? right.slice(j) : await next(b);
    }
    for (let rest = left ?? right, g = left !== null ? a : b; rest !== null; rest = await next(g)) yield rest;
  } finally {
    await a.return(undefined);
    await b.return(undefined);
  }
}

/**
 * The export's bytes (UTF-8), a chunk per page: a header (CSV) or a BOM when asked, then a line
 * per record. A page is turned into bytes whole, between two turns of the event loop, so no
 * row or record lives across a turn: the bridge's garbage collector then meets them only while
 * young and frees them at once. (Chunks of a fixed size, cut in the middle of a page, kept
 * the page's rows alive across turns, where V8 collects the young objects more often: they
 * were moved to the old generation and piled up there until a full collection — a heap
 * swinging by 60 MB on an export of 100,000 messages, against under 10 MB now; bench/export.ts.)
 * Each line is encoded on its own, so no page becomes one long string (a string over 128 KB
 * goes straight to V8's old generation too).
 */
export async function* exportText(store: Store, masker: Masker, request: ExportRequest, progress: ExportProgress = {}): AsyncGenerator<Buffer> {
  const columns = EXPORT_COLUMNS[request.kind];
  const line = request.format === 'csv' ? csvLine : ndjsonLine;
  const head = `${request.bom ? UTF8_BOM : ''}${request.format === 'csv' ? csvHeader(columns) : ''}`;
  let rows = 0;
  if (head !== '') yield Buffer.from(head);
  for await (const page of records(store, masker, request)) {
    const lines = page.map((record) => Buffer.from(line(columns, record)));
    rows += page.length;
    yield Buffer.concat(lines);
    progress.onRows?.(rows);
    await eventLoopTurn();
  }
  progress.onRows?.(rows);
}
