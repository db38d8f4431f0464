/**
 * What a conversation's trail is made of (src/journal/trail.ts renders it): the conversation
 * and every journal row about it, oldest first, read page by page. The admin API
 * (`GET /admin/conversations/:id/trail`) and the CLI (`journal export`) both start here.
 */
import type { ConversationId } from '../domain/ids.ts';
import type { MaskingPolicy } from '../journal/masking.ts';
import type { TrailInput } from '../journal/trail.ts';
import type { Store } from '../store/open-store.ts';
import type { JournalRow } from '../store/repos/journal-repo.ts';

/** Most rows one trail holds: a conversation of years with every hop journaled stays far below it. */
export const TRAIL_ROWS_MAX = 200_000;
const PAGE_ROWS = 1_000;

export interface TrailSourceOptions {
  exportedAtMs: number;
  exportedBy: string;
  policy: MaskingPolicy;
  /** Called with the rows read so far (a progress bar). */
  onRows?: (count: number) => void;
}

/** The trail's input; null when neither the conversation nor any journal row of it exists. */
export async function loadTrailInput(store: Store, conversationId: ConversationId, options: TrailSourceOptions): Promise<TrailInput | null> {
  const conversation = await store.conversations.get(conversationId);
  const rows: JournalRow[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await store.journal.search({ conversationId, before, limit: PAGE_ROWS });
    rows.push(...page.rows);
    options.onRows?.(rows.length);
    if (page.nextBefore === null || rows.length >= TRAIL_ROWS_MAX) break;
    before = page.nextBefore;
  }
  if (!conversation && rows.length === 0) return null;
  rows.reverse();
  return {
    conversationId,
    conversation: conversation && {
      id: conversation.id, botId: conversation.botId, maxChatId: conversation.maxChatId, maxUserId: conversation.maxUserId,
      lineRef: conversation.lineRef, routeName: conversation.routeName, createdAtMs: conversation.createdAtMs, updatedAtMs: conversation.updatedAtMs,
    },
    rows, exportedAtMs: options.exportedAtMs, exportedBy: options.exportedBy, policy: options.policy,
  };
}
