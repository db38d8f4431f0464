/**
 * What the bridge did in the CRM per Open Lines session of a conversation (crm_links;
 * src/bridge/crm-sync.ts). A session's row is written when its CRM job starts (pending)
 * and again when the binding is confirmed (bound) or given up (failed). A client's later
 * sessions find their open lead or their contact here first.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { ConversationId } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

export interface CrmLink {
  conversationId: string;
  sessionId: string;
  portalId: string;
  maxUserId: string | null;
  mode: string;
  state: 'pending' | 'bound' | 'failed';
  leadId: number | null;
  contactId: number | null;
  dealId: number | null;
  how: string | null;
  sourceJson: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

type Row = Database['crm_links'];
type Db = Kysely<Database> | Transaction<Database>;

function linkOf(r: Row): CrmLink {
  const n = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return {
    conversationId: r.conversation_id, sessionId: r.session_id, portalId: r.portal_id, maxUserId: r.max_user_id, mode: r.mode, state: r.state,
    leadId: n(r.lead_id), contactId: n(r.contact_id), dealId: n(r.deal_id), how: r.how, sourceJson: r.source_json,
    createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms),
  };
}

export type CrmLinkUpdate = Partial<Pick<CrmLink, 'state' | 'leadId' | 'contactId' | 'dealId' | 'how' | 'sourceJson'>>;

export class CrmLinkRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async get(conversationId: ConversationId | string, sessionId: string, db: Db = this.db): Promise<CrmLink | null> {
    const row = await db.selectFrom('crm_links').selectAll().where('conversation_id', '=', conversationId).where('session_id', '=', sessionId).executeTakeFirst();
    return row ? linkOf(row) : null;
  }

  /** The session's row, made pending when it has none yet. */
  async open(input: Pick<CrmLink, 'conversationId' | 'sessionId' | 'portalId' | 'maxUserId' | 'mode'>, db: Db = this.db): Promise<CrmLink> {
    const nowMs = this.clock.nowMs();
    await db.insertInto('crm_links').values({
      conversation_id: input.conversationId, session_id: input.sessionId, portal_id: input.portalId, max_user_id: input.maxUserId, mode: input.mode,
      state: 'pending', lead_id: null, contact_id: null, deal_id: null, how: null, source_json: null, created_at_ms: nowMs, updated_at_ms: nowMs,
    }).onConflict((oc) => oc.columns(['conversation_id', 'session_id']).doNothing()).execute();
    const row = await this.get(input.conversationId, input.sessionId, db);
    if (!row) throw new Error(`crm link of ${input.conversationId}/${input.sessionId} vanished`);
    return row;
  }

  async update(conversationId: string, sessionId: string, change: CrmLinkUpdate, db: Db = this.db): Promise<void> {
    const set: Partial<Row> = { updated_at_ms: this.clock.nowMs() };
    if (change.state !== undefined) set.state = change.state;
    if (change.leadId !== undefined) set.lead_id = change.leadId;
    if (change.contactId !== undefined) set.contact_id = change.contactId;
    if (change.dealId !== undefined) set.deal_id = change.dealId;
    if (change.how !== undefined) set.how = change.how;
    if (change.sourceJson !== undefined) set.source_json = change.sourceJson;
    await db.updateTable('crm_links').set(set).where('conversation_id', '=', conversationId).where('session_id', '=', sessionId).execute();
  }

  /** A failed session's row made pending again, its wait counted from now (a replayed dead letter). */
  async restart(conversationId: string, sessionId: string): Promise<CrmLink> {
    const nowMs = this.clock.nowMs();
    await this.db.updateTable('crm_links').set({ state: 'pending', created_at_ms: nowMs, updated_at_ms: nowMs })
      .where('conversation_id', '=', conversationId).where('session_id', '=', sessionId).execute();
    const row = await this.get(conversationId, sessionId);
    if (!row) throw new Error(`crm link of ${conversationId}/${sessionId} vanished`);
    return row;
  }

  /** The client's rows on a portal, latest first (their lead or contact of earlier sessions). */
  async ofClient(portalId: string, maxUserId: string, limit = 20): Promise<CrmLink[]> {
    const rows = await this.db.selectFrom('crm_links').selectAll().where('portal_id', '=', portalId).where('max_user_id', '=', maxUserId)
      .orderBy('updated_at_ms', 'desc').limit(limit).execute();
    return rows.map(linkOf);
  }

  /** Rows bound to a lead (a converted lead's identity is carried to its contact and deal). */
  async ofLead(portalId: string, leadId: number): Promise<CrmLink[]> {
    const rows = await this.db.selectFrom('crm_links').selectAll().where('portal_id', '=', portalId).where('lead_id', '=', leadId).execute();
    return rows.map(linkOf);
  }

  /** The latest row of a conversation (any session). */
  async latestOf(conversationId: string): Promise<CrmLink | null> {
    const row = await this.db.selectFrom('crm_links').selectAll().where('conversation_id', '=', conversationId).orderBy('created_at_ms', 'desc').limit(1).executeTakeFirst();
    return row ? linkOf(row) : null;
  }

  /** A conversation's rows, one per Open Lines session, latest first (the admin UI's conversation page). */
  async ofConversation(conversationId: string, limit = 50): Promise<CrmLink[]> {
    const rows = await this.db.selectFrom('crm_links').selectAll().where('conversation_id', '=', conversationId).orderBy('created_at_ms', 'desc').limit(limit).execute();
    return rows.map(linkOf);
  }

  async all(portalId?: string): Promise<CrmLink[]> {
    let q = this.db.selectFrom('crm_links').selectAll();
    if (portalId !== undefined) q = q.where('portal_id', '=', portalId);
    return (await q.orderBy('created_at_ms').execute()).map(linkOf);
  }
}
