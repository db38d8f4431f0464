/**
 * Finding every row that holds one client's data (erasure-repo.ts applies what is found).
 * Reads only; one code path for SQLite and PostgreSQL.
 *
 * Where a client is:
 * - their dialogs: conversations with their `max_user_id` and a positive MAX chat id (a
 *   dialog is one client's), and dialogs their updates name (a `bot_started` that never
 *   became a conversation). A dialog's rows go whole: messages, line outbox, outbound parts
 *   and uploads, notices, re-hosted files, its jobs (both queues: the MAX chat's and the
 *   portal's events about the chat), the MAX updates of the chat and the Bitrix24 events
 *   about it, their skipped-update rows.
 * - group chats (`max.group_chats: conversation`): a group is one conversation of many
 *   people, kept. The client's own updates in it are deleted (their messages, their joining
 *   or leaving), with their line outbox items anonymised (the item's content replaced, the
 *   row kept so a redelivered update is not sent to the line again), their id maps and
 *   their files; another member's update that quotes the client has the quote erased.
 * - the journal: rows of their conversations or naming them (`max_user_id`, `max_chat_id`,
 *   a message of theirs) are deleted; rows shared with other clients (a line's batch call, a
 *   history read) keep the others' part: the client's records in the bodies are erased
 *   (erasure-mentions.ts), and their entries in `refs`.
 * - hooks (docs/hooks.md): the hook events of their dialogs, and those of a group or of no
 *   conversation whose data names them (their user id under a `…user_id` key, a dialog, a mid
 *   of theirs), go with every delivery of those events and the `hook.deliver` jobs of the
 *   deliveries (a job left would run on nothing); the checks' verdicts on their dialogs and the
 *   dialogs' gates go too.
 *
 * The events, the journal and the jobs are read a page of ids at a time, with a LIKE
 * prefilter on the client's ids (the raw JSON may hold an id as a number or a string) and
 * each candidate confirmed by parsing it.
 */
import { sql, type Kysely, type SqlBool } from 'kysely';
import { conversationOfPortalEventQueue, conversationQueue, crmQueue, HOOK_DELIVERY_JOB, hookQueue } from '../queue/job-kinds.ts';
import { makeConversationId, parseBotId, type ConversationId } from '../domain/ids.ts';
import { ERASED, ERASED_ITEM_JSON, mentionsText, namesSubject, parseStored, pruneText, withoutIds, type ErasureSubject } from './erasure-mentions.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;
type Json = Record<string, unknown>;

/** The id given is a bot's (the bridge's own, or another bot in a group): erasing it would take every chat it wrote in. */
export class NotAClientError extends Error {
  constructor(maxUserId: string) {
    super(`MAX user ${maxUserId} is a bot, not a client: nothing is erased (its messages are in every chat it wrote in)`);
    this.name = 'NotAClientError';
  }
}

/** Rows read per query while scanning the events, the journal and the jobs. */
export const SCAN_PAGE_ROWS = 5_000;
/** Ids per `IN (…)` list. */
export const KEYS_PER_STATEMENT = 500;

export interface JournalRewrite { id: number; request_body: string | null; response_body: string | null; endpoint: string; refs: string | null }
export interface JobRewrite { id: number; payload: string; last_error: string | null; last_response: string | null }

/** What one pass found; the repository deletes `deletes`, rewrites the rest. */
export interface Scope {
  /** The client's dialogs: deleted whole. */
  dialogs: string[];
  /** Group conversations the client acted in: kept, the client's part anonymised. */
  groups: string[];
  /** Group conversations whose `max_user_id` is the client (the first to write): set to null. */
  groupsStarted: string[];
  deletes: {
    conversations: string[]; messages: number[]; line_outbox: number[]; outbound_parts: number[];
    /** The conversation id of each upload row (the table has no id of its own). */
    outbound_uploads: string[];
    /** The conversation id of each CRM session row (deleted by conversation). */
    crm_links: string[];
    operator_notices: string[]; client_notices: number[]; media: string[]; events: number[]; skipped_updates: number[];
    jobs: number[]; journal: number[]; bridge_meta: string[];
    hook_events: string[]; hook_deliveries: number[]; check_verdicts: number[];
    /** The conversation id of each gate (its key). */
    conversation_gates: string[];
  };
  rewrites: { events: Array<{ id: number; raw: string }>; jobs: JobRewrite[]; journal: JournalRewrite[]; line_outbox: number[] };
  unfinished: { jobs: number; deadLetters: number; outboxItems: number };
  /**
   * The deleted deliveries outside the dialogs' own hook queues (of a group's or of no
   * conversation's events): queue → delivery ids. Only those deliveries' jobs go from these queues.
   */
  hookQueues: Map<string, Set<number>>;
}

export function emptyScope(): Scope {
  return {
    dialogs: [], groups: [], groupsStarted: [],
    deletes: {
      conversations: [], messages: [], line_outbox: [], outbound_parts: [], outbound_uploads: [], crm_links: [], operator_notices: [], client_notices: [],
      media: [], events: [], skipped_updates: [], jobs: [], journal: [], bridge_meta: [],
      hook_events: [], hook_deliveries: [], check_verdicts: [], conversation_gates: [],
    },
    rewrites: { events: [], jobs: [], journal: [], line_outbox: [] },
    unfinished: { jobs: 0, deadLetters: 0, outboxItems: 0 },
    hookQueues: new Map(),
  };
}

export function chunks<T>(items: readonly T[], size = KEYS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The strings a LIKE prefilter looks for: the user id, the dialogs' chat ids and conversation ids (also URL-encoded, as form bodies carry them). */
export function likeAnchors(s: ErasureSubject, withBitrixChats = false): string[] {
  const anchors = new Set<string>([s.maxUserId, ...s.dialogChatIds, ...(withBitrixChats ? s.bitrixChatIds : [])]);
  for (const id of s.conversationIds) {
    anchors.add(id);
    anchors.add(encodeURIComponent(id));
    anchors.add(encodeURIComponent(id).toLowerCase());
  }
  return [...anchors].map((a) => `%${a}%`);
}

/** A `col LIKE a OR col LIKE b …` over the anchors, for the given columns. */
function anyLike(columns: readonly string[], anchors: readonly string[]) {
  return sql<SqlBool>`(${sql.join(columns.flatMap((c) => anchors.map((a) => sql`${sql.ref(c)} like ${a}`)), sql` or `)})`;
}

/** Id ranges of a table, a page each, from `fromId` (exclusive) to its current largest id. */
export async function idPages(db: Db, table: 'events' | 'journal' | 'jobs', fromId: number): Promise<Array<[number, number]>> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
  const maxId = Number(row?.max ?? 0);
  const pages: Array<[number, number]> = [];
  for (let lo = fromId; lo < maxId; lo += SCAN_PAGE_ROWS) pages.push([lo, Math.min(lo + SCAN_PAGE_ROWS, maxId)]);
  return pages;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

/** A MAX update's chat, actor (whose act it is), message id and time — the few fields the erasure reads. */
export function maxUpdateFacts(update: Json): {
  chatId: string | null; actorId: string | null; actorIsBot: boolean | null; recipientUserId: string | null; mid: string | null; timestamp: string | null;
} {
  const message = isObject(update.message) ? update.message : undefined;
  const recipient = isObject(message?.recipient) ? message.recipient : undefined;
  const callback = isObject(update.callback) ? update.callback : undefined;
  const actor = (message?.sender ?? callback?.user ?? update.user) as Json | undefined;
  const body = isObject(message?.body) ? message.body : undefined;
  return {
    chatId: str(recipient?.chat_id ?? update.chat_id),
    actorId: str(isObject(actor) ? actor.user_id : undefined) ?? str(update.user_id),
    actorIsBot: isObject(actor) && typeof actor.is_bot === 'boolean' ? actor.is_bot : null,
    recipientUserId: str(recipient?.user_id),
    mid: str(body?.mid ?? update.message_id),
    timestamp: str(update.timestamp),
  };
}

/** The client's conversations: their dialogs (and the ones already named), and the groups they started. */
export async function findConversations(db: Db, s: ErasureSubject, scope: Scope): Promise<void> {
  const named = [...s.conversationIds];
  const rows = await db.selectFrom('conversations').select(['id', 'max_chat_id', 'max_user_id', 'bitrix_chat_id'])
    .where((eb) => eb.or([eb('max_user_id', '=', s.maxUserId), ...(named.length > 0 ? [eb('id', 'in', named)] : [])])).execute();
  for (const row of rows) {
    if (row.max_chat_id.startsWith('-')) {
      if (row.max_user_id === s.maxUserId) scope.groupsStarted.push(row.id);
      continue;
    }
    s.dialogChatIds.add(row.max_chat_id);
    s.conversationIds.add(row.id);
    if (row.bitrix_chat_id !== null) s.bitrixChatIds.add(row.bitrix_chat_id);
    scope.dialogs.push(row.id);
  }
  scope.deletes.conversations = [...scope.dialogs];
}

/** Group conversations met while reading the client's group updates, with the updates' mids and times. */
export interface GroupTrail {
  /** conversation id → the times (`timestamp`) of the client's updates in it (system lines are keyed `<kind>:<timestamp>`). */
  stamps: Map<string, Set<string>>;
}

/**
 * One page of events. Returns true when the subject grew (a dialog found only in the
 * updates): the caller reads the events again from the start with the new ids.
 */
export async function scanEventsPage(db: Db, s: ErasureSubject, page: [number, number], scope: Scope, trail: GroupTrail): Promise<boolean> {
  const rows = await db.selectFrom('events').select(['id', 'source', 'raw'])
    .where('id', '>', page[0]).where('id', '<=', page[1]).where(anyLike(['raw'], likeAnchors(s))).execute();
  let grew = false;
  for (const row of rows) {
    const id = Number(row.id);
    const parsed = parseStored(row.raw);
    if (row.source.startsWith('max:') && isObject(parsed)) {
      const facts = maxUpdateFacts(parsed);
      // A bot writes, or a person (is_bot: false) writes to it in a dialog: `recipient.user_id` is then the bot.
      if ((facts.actorId === s.maxUserId && facts.actorIsBot === true) || (facts.recipientUserId === s.maxUserId && facts.actorIsBot === false && facts.actorId !== s.maxUserId)) {
        throw new NotAClientError(s.maxUserId);
      }
      const inDialog = facts.chatId !== null && s.dialogChatIds.has(facts.chatId);
      if (inDialog || facts.actorId === s.maxUserId) {
        scope.deletes.events.push(id);
        if (facts.mid) s.mids.add(facts.mid);
        if (!inDialog && facts.chatId !== null) grew = noteChat(s, trail, row.source.slice('max:'.length), facts) || grew;
        continue;
      }
    } else if (row.source.startsWith('bitrix24:') && [...s.conversationIds].some((c) => row.raw.includes(c) || row.raw.includes(encodeURIComponent(c)))
      && namesSubject(parsed, s)) {
      scope.deletes.events.push(id);
      continue;
    }
    rewriteEvent(scope, id, row.raw, parsed, s);
  }
  return grew;
}

/** A chat of the client's update outside a known dialog: a dialog not known yet (the subject grows), or a group. */
function noteChat(s: ErasureSubject, trail: GroupTrail, botId: string, facts: ReturnType<typeof maxUpdateFacts>): boolean {
  const chatId = facts.chatId as string;
  let conversationId: string;
  try {
    conversationId = makeConversationId(parseBotId(botId), chatId);
  } catch {
    return false; // not a chat id of MAX's format: no conversation of ours
  }
  if (!chatId.startsWith('-')) {
    s.dialogChatIds.add(chatId);
    s.conversationIds.add(conversationId);
    return true;
  }
  const stamps = trail.stamps.get(conversationId) ?? new Set<string>();
  if (facts.timestamp) stamps.add(facts.timestamp);
  trail.stamps.set(conversationId, stamps);
  return false;
}

/** Another's update naming the client (a quote of theirs): the client's part erased; what cannot be told apart, the whole body. */
function rewriteEvent(scope: Scope, id: number, raw: string, parsed: unknown, s: ErasureSubject): void {
  if (!namesSubject(parsed, s) && !mentionsText(raw, s, false)) return;
  const outcome = pruneText(raw, s);
  if (outcome.kind === 'unchanged') return;
  // The stub keeps the update's type and time (a job still to run meets a body it refuses as a dead letter, not a crash).
  const kept = isObject(parsed) ? { update_type: parsed.update_type ?? parsed.event ?? null, timestamp: parsed.timestamp ?? null } : {};
  scope.rewrites.events.push({ id, raw: outcome.kind === 'pruned' ? outcome.text : JSON.stringify({ ...kept, erased: true }) });
}

/** The groups the client acted in (those of ours), once the events are read. */
export async function findGroups(db: Db, trail: GroupTrail, scope: Scope): Promise<void> {
  const ids = [...trail.stamps.keys()];
  const found = ids.length === 0 ? [] : await db.selectFrom('conversations').select('id').where('id', 'in', ids).execute();
  scope.groups = found.map((r) => r.id);
}

/**
 * The dialogs' own rows in the conversation-keyed tables: of every dialog conversation id known
 * (`s.conversationIds`), whether its conversation row still exists or not (a later pass finds
 * what a job wrote after the first pass deleted the conversation).
 */
export async function findDialogRows(db: Db, s: ErasureSubject, scope: Scope): Promise<void> {
  const dialogs = [...s.conversationIds];
  const d = scope.deletes;
  for (const part of chunks(dialogs)) {
    d.messages.push(...(await db.selectFrom('messages').select('id').where('conversation_id', 'in', part).execute()).map((r) => Number(r.id)));
    const outbox = await db.selectFrom('line_outbox').select(['id', 'state']).where('conversation_id', 'in', part).execute();
    d.line_outbox.push(...outbox.map((r) => Number(r.id)));
    scope.unfinished.outboxItems += outbox.filter((r) => r.state === 'pending').length;
    d.outbound_parts.push(...(await db.selectFrom('outbound_parts').select('id').where('conversation_id', 'in', part).execute()).map((r) => Number(r.id)));
    d.outbound_uploads.push(...(await db.selectFrom('outbound_uploads').select('conversation_id').where('conversation_id', 'in', part).execute()).map((r) => r.conversation_id));
    d.operator_notices.push(...(await db.selectFrom('operator_notices').select('bitrix_message_id').where('conversation_id', 'in', part).execute()).map((r) => r.bitrix_message_id));
    d.client_notices.push(...(await db.selectFrom('client_notices').select('id').where('conversation_id', 'in', part).execute()).map((r) => Number(r.id)));
    d.crm_links.push(...(await db.selectFrom('crm_links').select('conversation_id').where('conversation_id', 'in', part).execute()).map((r) => r.conversation_id));
    d.media.push(...(await db.selectFrom('media').select('id').where('conversation_id', 'in', part).execute()).map((r) => r.id));
  }
  for (const id of dialogs) {
    d.bridge_meta.push(...(await db.selectFrom('bridge_meta').select('key').where('key', 'like', `%${id}%`).execute()).map((r) => r.key).filter((k) => k.includes(id)));
  }
  for (const part of chunks(d.events)) {
    d.skipped_updates.push(...(await db.selectFrom('skipped_updates').select('event_id').where('event_id', 'in', part).execute()).map((r) => Number(r.event_id)));
  }
}

/** Re-hosted files an outbox item links to (`/media/<id>/<name>`). */
const MEDIA_LINK = /\/media\/([A-Za-z0-9_-]{8,})\//g;

/** Whether a group's outbox item is the client's: their message (or its edit), a system line of their act. */
function groupItemIsSubjects(key: string, s: ErasureSubject, stamps: ReadonlySet<string>): boolean {
  const at = key.indexOf('@');
  if (s.mids.has(at < 0 ? key : key.slice(0, at))) return true;
  if (key.includes(`_added:${s.maxUserId}:`) || key.includes(`_removed:${s.maxUserId}:`)) return true;
  // `<kind>:<timestamp>`: a system line of an update of the client's (bot_added, title, …).
  return [...stamps].some((t) => key.endsWith(`:${t}`) && !/^mid\./.test(key));
}

/** The client's part of the groups they acted in: outbox items anonymised, id maps and files deleted. */
export async function findGroupRows(db: Db, s: ErasureSubject, trail: GroupTrail, scope: Scope): Promise<void> {
  const mids = [...s.mids];
  for (const group of scope.groups) {
    for (const part of chunks(mids)) {
      scope.deletes.messages.push(...(await db.selectFrom('messages').select('id')
        .where('conversation_id', '=', group).where('max_mid', 'in', part).execute()).map((r) => Number(r.id)));
    }
    const stamps = trail.stamps.get(group) ?? new Set<string>();
    const rows = await db.selectFrom('line_outbox').select(['id', 'message_key', 'state', 'item_json']).where('conversation_id', '=', group).execute();
    for (const row of rows) {
      if (!groupItemIsSubjects(row.message_key, s, stamps) && !mentionsText(row.item_json, s)) continue;
      if (row.item_json === ERASED_ITEM_JSON) continue; // anonymised by an earlier pass or erasure
      scope.rewrites.line_outbox.push(Number(row.id));
      if (row.state === 'pending') scope.unfinished.outboxItems++;
      for (const m of row.item_json.matchAll(MEDIA_LINK)) scope.deletes.media.push(m[1] as string);
    }
  }
}

/** A hook event's data names the client by their user id under any `…user_id` key (`max_user_id`, `sender_user_id`). */
function userIdNamed(value: unknown, s: ErasureSubject, key = ''): boolean {
  if (Array.isArray(value)) return value.some((item) => userIdNamed(item, s, key));
  if (isObject(value)) return Object.entries(value).some(([k, v]) => userIdNamed(v, s, k));
  return /user_id$/i.test(key) && (typeof value === 'string' || typeof value === 'number') && String(value) === s.maxUserId;
}

/**
 * The client's hook rows (docs/hooks.md): every event of their dialogs; the events of a group
 * they acted in or of no conversation whose data names them (a LIKE prefilter on their ids,
 * confirmed by parsing: another's event stays, and so does a `client.erased` event, which holds
 * only a hash); those events' deliveries; the dialogs' verdicts and gates. The deliveries'
 * jobs are found by findJobs.
 */
export async function findHookRows(db: Db, s: ErasureSubject, scope: Scope): Promise<void> {
  const d = scope.deletes;
  for (const part of chunks([...s.conversationIds])) {
    d.hook_events.push(...(await db.selectFrom('hook_events').select('id').where('conversation_id', 'in', part).execute()).map((r) => r.id));
    d.check_verdicts.push(...(await db.selectFrom('check_verdicts').select('id').where('conversation_id', 'in', part).execute()).map((r) => Number(r.id)));
    d.conversation_gates.push(...(await db.selectFrom('conversation_gates').select('conversation_id').where('conversation_id', 'in', part).execute()).map((r) => r.conversation_id));
  }
  const anchors = likeAnchors(s);
  for (const groups of [null, ...chunks(scope.groups)]) {
    const rows = await db.selectFrom('hook_events').select(['id', 'data_json'])
      .where((eb) => (groups === null ? eb('conversation_id', 'is', null) : eb('conversation_id', 'in', groups)))
      .where(anyLike(['data_json'], anchors)).execute();
    for (const row of rows) {
      const data = parseStored(row.data_json);
      if (namesSubject(data, s) || userIdNamed(data, s)) d.hook_events.push(row.id);
    }
  }
  for (const part of chunks(d.hook_events)) {
    for (const r of await db.selectFrom('hook_deliveries').select(['id', 'webhook', 'conversation_id']).where('event_id', 'in', part).execute()) {
      d.hook_deliveries.push(Number(r.id));
      if (r.conversation_id !== null && s.conversationIds.has(r.conversation_id)) continue; // a dialog's hook queues go whole
      const queue = hookQueue(r.webhook, r.conversation_id);
      scope.hookQueues.set(queue, (scope.hookQueues.get(queue) ?? new Set<number>()).add(Number(r.id)));
    }
  }
}

/** Whether `queue` is one of a webhook's queues of the conversation (`hook:<webhook>:<conversationId>`; a webhook's name has no `:`). */
function isHookQueueOf(queue: string, conversationId: string): boolean {
  const webhook = queue.slice('hook:'.length, queue.length - conversationId.length - 1);
  return queue.startsWith('hook:') && queue.endsWith(`:${conversationId}`) && webhook !== '' && !webhook.includes(':');
}

/**
 * The client's jobs: the dialogs' queues (the MAX chat's, the Open Lines chat's, the CRM
 * steps', the webhooks'), the jobs of the deleted events and of the deleted hook deliveries;
 * other jobs naming them have that part erased.
 */
export async function findJobs(db: Db, s: ErasureSubject, scope: Scope, pages: Array<[number, number]>, onPage: () => void): Promise<void> {
  const ids = new Set<number>();
  const note = (rows: Array<{ id: number | string; state: string }>) => {
    for (const r of rows) {
      if (ids.has(Number(r.id))) continue;
      ids.add(Number(r.id));
      if (r.state === 'pending' || r.state === 'running') scope.unfinished.jobs++;
      if (r.state === 'dead') scope.unfinished.deadLetters++;
    }
  };
  for (const conversation of s.conversationIds) {
    note(await db.selectFrom('jobs').select(['id', 'state'])
      .where('conversation_key', 'in', [conversationQueue(conversation as ConversationId), crmQueue(conversation as ConversationId)]).execute());
    const sideQueues = await db.selectFrom('jobs').select(['id', 'state', 'conversation_key'])
      .where((eb) => eb.or([eb('conversation_key', 'like', `b24:%${conversation}`), eb('conversation_key', 'like', `hook:%${conversation}`)])).execute();
    note(sideQueues.filter((r) => conversationOfPortalEventQueue(r.conversation_key) === conversation || isHookQueueOf(r.conversation_key, conversation)));
  }
  for (const part of chunks(scope.deletes.events)) note(await db.selectFrom('jobs').select(['id', 'state']).where('event_id', 'in', part).execute());
  // A group's or the bridge's hook queue: only the jobs of the deliveries deleted.
  for (const [queue, deliveries] of scope.hookQueues) {
    const rows = await db.selectFrom('jobs').select(['id', 'state', 'payload']).where('conversation_key', '=', queue).where('kind', '=', HOOK_DELIVERY_JOB).execute();
    note(rows.filter((r) => {
      const payload = parseStored(r.payload);
      return isObject(payload) && deliveries.has(Number(payload.deliveryId));
    }));
  }
  scope.deletes.jobs = [...ids];
  for (const page of pages) {
    const rows = await db.selectFrom('jobs').select(['id', 'payload', 'last_error', 'last_response'])
      .where('id', '>', page[0]).where('id', '<=', page[1]).where(anyLike(['payload', 'last_error', 'last_response'], likeAnchors(s))).execute();
    for (const row of rows) {
      if (ids.has(Number(row.id))) continue;
      const next = { id: Number(row.id), payload: row.payload, last_error: erasedField(row.last_error, s), last_response: erasedField(row.last_response, s) };
      if (next.last_error !== row.last_error || next.last_response !== row.last_response) scope.rewrites.jobs.push(next);
    }
    onPage();
  }
}

/** A text field with the client's part erased (the whole field when it cannot be told apart). */
export function erasedField(text: string | null, s: ErasureSubject): string | null {
  const outcome = pruneText(text, s);
  return outcome.kind === 'unchanged' ? text : outcome.kind === 'pruned' ? outcome.text : ERASED;
}

/** Whether an id column's value names the client: a mid of theirs, their user id or a dialog's chat id among its parts (`message:<mid>`, `bot_started:<chat>:<user>:<ts>`). */
function idNamesSubject(value: string | null, s: ErasureSubject): boolean {
  if (value === null) return false;
  return (value.match(/[^\s:@#]+/g) ?? []).some((part) => s.mids.has(part) || part === s.maxUserId || s.dialogChatIds.has(part));
}

/** `refs` without the client's entries (` <conversationId>#<messageId> …`); null when none is left. */
function refsWithout(refs: string | null, s: ErasureSubject): string | null {
  if (refs === null) return null;
  const kept = refs.split(' ').filter((ref) => ref !== '' && !s.conversationIds.has(ref.replace(/#.*$/, '')) && !s.mids.has(ref.replace(/^[^#]*#/, '')));
  return kept.length === 0 ? null : ` ${kept.join(' ')} `;
}

/** One page of the journal: the client's rows deleted, shared rows with the client's part erased. */
export async function scanJournalPage(db: Db, s: ErasureSubject, page: [number, number], scope: Scope): Promise<void> {
  const conversations = [...s.conversationIds, ...scope.groups];
  const chats = [...s.dialogChatIds];
  // The journal also holds the Open Lines side's history reads, which name the chat by its Bitrix24 id.
  const bodies = anyLike(['request_body', 'response_body', 'endpoint'], likeAnchors(s, true));
  const rows = await db.selectFrom('journal')
    .select(['id', 'conversation_id', 'max_user_id', 'max_chat_id', 'message_id', 'refs', sql<number>`case when ${bodies} then 1 else 0 end`.as('hit')])
    .where('id', '>', page[0]).where('id', '<=', page[1])
    .where((eb) => eb.or([
      eb('max_user_id', '=', s.maxUserId), eb('message_id', 'is not', null), eb('refs', 'is not', null), bodies,
      ...(conversations.length > 0 ? [eb('conversation_id', 'in', conversations)] : []),
      ...(chats.length > 0 ? [eb('max_chat_id', 'in', chats)] : []),
    ])).execute();
  const candidates: Array<{ id: number; refs: string | null }> = [];
  for (const row of rows) {
    const own = (row.conversation_id !== null && s.conversationIds.has(row.conversation_id)) || row.max_user_id === s.maxUserId
      || (row.max_chat_id !== null && s.dialogChatIds.has(row.max_chat_id)) || idNamesSubject(row.message_id, s);
    if (own) scope.deletes.journal.push(Number(row.id));
    else if (Number(row.hit) === 1 || refsWithout(row.refs, s) !== row.refs || (row.conversation_id !== null && scope.groups.includes(row.conversation_id))) {
      candidates.push({ id: Number(row.id), refs: row.refs });
    }
  }
  for (const part of chunks(candidates)) {
    const full = await db.selectFrom('journal').select(['id', 'request_body', 'response_body', 'endpoint', 'refs']).where('id', 'in', part.map((c) => c.id)).execute();
    for (const row of full) {
      const next: JournalRewrite = {
        id: Number(row.id), request_body: erasedField(row.request_body, s), response_body: erasedField(row.response_body, s),
        endpoint: withoutIds(row.endpoint, s), refs: refsWithout(row.refs, s),
      };
      if (next.request_body !== row.request_body || next.response_body !== row.response_body || next.endpoint !== row.endpoint || next.refs !== row.refs) {
        scope.rewrites.journal.push(next);
      }
    }
  }
}
