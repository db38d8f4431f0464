/**
 * Lines: the Open Lines the bridge carries conversations to, as the setup job
 * recorded them — each portal's own line (a new one replaces the earlier) and
 * every line a route names,
 * active or paused (deleted in Bitrix24, connector switched off, app
 * uninstalled) with the reason it was paused. A paused line's items wait in
 * its outbox until the line is restored.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import { makeLineRef, parseLineRef, parsePortalId, type LineRef, type PortalId } from '../../domain/ids.ts';
import type { Queryable } from '../db.ts';
import type { Database } from '../schema.ts';

export type LineState = 'active' | 'paused';

export interface LineRow {
  ref: LineRef;
  portalId: PortalId;
  /** The line's id in its portal. */
  lineId: number;
  state: LineState;
  /** Why it was paused (the first reason stays); null when active. */
  pausedReason: string | null;
}

export class LineRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /**
   * The setup job connected this line: it is recorded active. The portal's own line (`own`:
   * configured on the portal, or the "MAX" line found or created) replaces any earlier own
   * line of the portal (deleted or switched off) — those are forgotten, and their
   * conversations and whatever still waits in their outbox move to it. A line named by a
   * route (`own` false) replaces nothing. Run in the setup job's "done".
   */
  async setUp(portalId: PortalId, lineId: number, connectorId: string, db: Queryable, own = true): Promise<LineRef> {
    const now = this.clock.nowMs();
    const ref = makeLineRef(portalId, lineId);
    await db.insertInto('lines').values({ id: ref, portal_id: portalId, line_id: lineId, connector_id: connectorId, state: 'active', paused_reason: null, updated_at_ms: now, own: own ? 1 : 0 })
      .onConflict((oc) => oc.column('id').doUpdateSet({ state: 'active', paused_reason: null, updated_at_ms: now, ...(own ? { own: 1 } : {}) })).execute();
    if (!own) return ref;
    const earlier = (await db.selectFrom('lines').select('id').where('portal_id', '=', portalId).where('own', '=', 1).where('id', '!=', ref).execute()).map((r) => r.id);
    if (earlier.length > 0) {
      await db.updateTable('conversations').set({ line_ref: ref, updated_at_ms: now }).where('line_ref', 'in', earlier).execute();
      await db.updateTable('line_outbox').set({ line_ref: ref, updated_at_ms: now }).where('line_ref', 'in', earlier).where('state', '=', 'pending').execute();
      await db.deleteFrom('lines').where('id', 'in', earlier).execute();
    }
    return ref;
  }

  /**
   * A line a route names could not be set up (it does not exist, or the connector cannot be
   * activated on it): recorded paused with why, so routes pass it over for their fallback and
   * /ready names it. A line already recorded keeps its state unless it is paused.
   */
  async setUpFailed(portalId: PortalId, lineId: number, connectorId: string, reason: string): Promise<void> {
    const now = this.clock.nowMs();
    await this.db.insertInto('lines').values({ id: makeLineRef(portalId, lineId), portal_id: portalId, line_id: lineId, connector_id: connectorId, state: 'paused', paused_reason: reason, updated_at_ms: now, own: 0 })
      .onConflict((oc) => oc.column('id').doUpdateSet({ state: 'paused', paused_reason: reason, updated_at_ms: now })).execute();
  }

  /** The portal's own line as the setup recorded it (the latest), active or paused; null before setup. */
  async latestOf(portalId: PortalId): Promise<{ lineId: number; active: boolean } | null> {
    const row = await this.db.selectFrom('lines').select(['line_id', 'state']).where('portal_id', '=', portalId).where('own', '=', 1).orderBy('updated_at_ms', 'desc').executeTakeFirst();
    return row ? { lineId: Number(row.line_id), active: row.state === 'active' } : null;
  }

  /** A line's state and why it is paused; null for a line not recorded. */
  async stateWithReason(ref: LineRef): Promise<{ state: LineState; pausedReason: string | null } | null> {
    const row = await this.db.selectFrom('lines').select(['state', 'paused_reason']).where('id', '=', ref).executeTakeFirst();
    return row ? { state: row.state, pausedReason: row.paused_reason } : null;
  }

  /** Every active line id of a portal. */
  async activeLineIds(portalId: PortalId): Promise<number[]> {
    const rows = await this.db.selectFrom('lines').select('line_id').where('portal_id', '=', portalId).where('state', '=', 'active').execute();
    return rows.map((r) => Number(r.line_id));
  }

  /** Portals with a line recorded (active or paused). */
  async portalIds(): Promise<PortalId[]> {
    const rows = await this.db.selectFrom('lines').select('portal_id').distinct().execute();
    return rows.map((r) => parsePortalId(r.portal_id));
  }

  /** A line's state; null for a line not recorded (never set up, or replaced). */
  async stateOf(ref: LineRef): Promise<LineState | null> {
    const row = await this.db.selectFrom('lines').select('state').where('id', '=', ref).executeTakeFirst();
    return row?.state ?? null;
  }

  /** Pauses one line of a portal, or all of them (lineId null). A line already paused keeps its first reason. */
  async pause(portalId: PortalId, lineId: number | null, reason: string): Promise<void> {
    let q = this.db.updateTable('lines').set({ state: 'paused', paused_reason: reason, updated_at_ms: this.clock.nowMs() })
      .where('portal_id', '=', portalId).where('state', '=', 'active');
    if (lineId !== null) q = q.where('line_id', '=', lineId);
    await q.execute();
  }

  /** Every paused line, with its reason. */
  async paused(): Promise<LineRow[]> {
    const rows = await this.db.selectFrom('lines').selectAll().where('state', '=', 'paused').execute();
    return rows.map((r) => ({
      ref: parseLineRef(r.id), portalId: parsePortalId(r.portal_id), lineId: Number(r.line_id), state: r.state, pausedReason: r.paused_reason,
    }));
  }

  /** A paused line works again (the health check found it registered and existing). */
  async reactivate(ref: LineRef, db: Queryable = this.db): Promise<void> {
    await db.updateTable('lines').set({ state: 'active', paused_reason: null, updated_at_ms: this.clock.nowMs() }).where('id', '=', ref).execute();
  }
}
