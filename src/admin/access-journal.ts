/**
 * Access accounting (152-ФЗ): every look at a client's data in the admin UI — a conversation's
 * page, the list of conversations, journal rows — is one row of the exchange journal, written
 * before the page is answered: side `admin`, direction `in`, method `VIEW`, the page as the
 * endpoint (`conversation`, `conversations`, `journal`), the conversation and client in the
 * journal's own id columns (a page of several conversations names each in `refs`), and who
 * looked in the body: `{"viewer": <user name>, "role": "admin" | "viewer", "page": …}`.
 * So `npm run bridge -- journal search --side admin --conversation <id>` (or `--client`,
 * `--text <user name>`) answers "who looked at this client's conversation, and when", the
 * conversation page lists it ("кто смотрел"), retention purges it with the rest of the journal
 * and an erasure takes it with the client's other rows.
 *
 * Written straight to the store's journal, not through the masking writer: the body holds no
 * client data (the ids are ids, never masked) and the user's name must stay readable to be
 * accountable. A write that fails fails the page: no look without its record.
 */
import type { JournalWriter } from '../domain/ports.ts';
import type { JournalRow, JournalRepo } from '../store/repos/journal-repo.ts';
import { ACCESS_SIDE } from '../journal/trail.ts';
import type { AdminRole, AdminUser } from './page.ts';

export const ACCESS_METHOD = 'VIEW';
export const ACCESS_PAGES = ['conversation', 'conversations', 'journal'] as const;
export type AccessPage = (typeof ACCESS_PAGES)[number];

/** Whose data the page showed: one conversation (with its client), or several by id. */
export interface AccessSubject {
  conversationId?: string;
  botId?: string;
  maxUserId?: string | null;
  maxChatId?: string;
  lineRef?: string;
  /** Several conversations on one page (the list, a journal search). */
  conversationIds?: readonly string[];
}

export interface AccessRecord {
  journalId: number;
  atMs: number;
  viewer: string;
  role: AdminRole | null;
  page: string;
}

/** Ids a `refs` entry can hold: no spaces (the column separates entries by them), no `#`. */
const REF_ID = /^[^\s#]{1,200}$/;
/** Conversations one record names at most: a page shows fewer; a row stays a row. */
const REFS_MAX = 500;

/** Records that `user` saw `subject` on `page` at `atMs`. */
export async function recordAccess(journal: JournalWriter, input: { user: AdminUser; atMs: number; page: AccessPage; subject: AccessSubject }): Promise<void> {
  const { subject } = input;
  const others = [...new Set(subject.conversationIds ?? [])].filter((id) => id !== subject.conversationId && REF_ID.test(id)).slice(0, REFS_MAX);
  await journal.write({
    atMs: input.atMs, side: ACCESS_SIDE, direction: 'in', method: ACCESS_METHOD, endpoint: input.page, status: 200, durationMs: 0,
    requestBody: JSON.stringify({ viewer: input.user.username, role: input.user.role, page: input.page }),
    ...(subject.conversationId !== undefined ? { conversationId: subject.conversationId } : {}),
    ...(subject.botId !== undefined ? { botId: subject.botId } : {}),
    ...(subject.maxUserId ? { maxUserId: subject.maxUserId } : {}),
    ...(subject.maxChatId !== undefined ? { maxChatId: subject.maxChatId } : {}),
    ...(subject.lineRef !== undefined ? { lineRef: subject.lineRef } : {}),
    // A ref's message part is empty: the record is about the conversation, not one message of it.
    ...(others.length > 0 ? { refs: others.map((conversationId) => ({ conversationId, messageId: '' })) } : {}),
  });
}

/** An access record read back from its journal row; null for any other row. */
export function accessOf(row: JournalRow): AccessRecord | null {
  if (row.side !== ACCESS_SIDE || row.method !== ACCESS_METHOD) return null;
  let body: { viewer?: unknown; role?: unknown } = {};
  try {
    body = JSON.parse(row.requestBody ?? '{}') as typeof body;
  } catch {
    // an unreadable body still says when and which page
  }
  return {
    journalId: row.id, atMs: row.atMs, viewer: typeof body.viewer === 'string' ? body.viewer : '?',
    role: body.role === 'admin' || body.role === 'viewer' ? body.role : null, page: row.endpoint,
  };
}

/** Who looked at a conversation (its page, the list, journal rows of it), newest first. */
export async function accessesOf(journal: Pick<JournalRepo, 'search'>, conversationId: string, limit = 50): Promise<{ records: AccessRecord[]; more: boolean }> {
  const page = await journal.search({ conversationId, side: ACCESS_SIDE, limit });
  return { records: page.rows.flatMap((r) => accessOf(r) ?? []), more: page.nextBefore !== null };
}
