/**
 * Portals and their OAuth tokens, encrypted at rest. Implements the
 * PortalTokenStore port: `replace` is a compare-and-swap on the refresh token,
 * so a slower refresher can never overwrite a newer token pair.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { PortalTokens, PortalTokenStore } from '../../domain/ports.ts';
import type { CryptoBox } from '../crypto-box.ts';
import type { Engine } from '../db.ts';
import type { Database } from '../schema.ts';

export class PortalRepo implements PortalTokenStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly box: CryptoBox,
    private readonly clock: Clock,
  ) {}

  /** Creates or updates a portal from an install (keyed by member_id, which is stable). */
  async upsertInstall(tokens: PortalTokens, clientId: string): Promise<void> {
    const now = this.clock.nowMs();
    const row = {
      id: tokens.portalId, member_id: tokens.memberId, domain: tokens.domain, client_id: clientId,
      application_token_enc: this.box.seal(tokens.applicationToken), access_token_enc: this.box.seal(tokens.accessToken),
      refresh_token_enc: this.box.seal(tokens.refreshToken), expires_at_ms: tokens.expiresAtMs,
      client_endpoint: tokens.clientEndpoint, server_endpoint: tokens.serverEndpoint, status: 'active' as const, updated_at_ms: now,
    };
    await this.db.insertInto('portals').values(row)
      .onConflict((oc) => oc.column('member_id').doUpdateSet({ ...row, id: undefined } as never))
      .execute();
  }

  async load(portalId: string): Promise<PortalTokens | null> {
    const row = await this.db.selectFrom('portals').selectAll().where('id', '=', portalId).executeTakeFirst();
    if (!row || !row.access_token_enc || !row.refresh_token_enc) return null;
    return {
      portalId: row.id, memberId: row.member_id, domain: row.domain,
      accessToken: this.box.open(row.access_token_enc), refreshToken: this.box.open(row.refresh_token_enc),
      expiresAtMs: row.expires_at_ms, clientEndpoint: row.client_endpoint, serverEndpoint: row.server_endpoint,
      applicationToken: this.box.open(row.application_token_enc),
    };
  }

  async replace(next: PortalTokens, expectedRefreshToken: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('portals').select('refresh_token_enc').where('id', '=', next.portalId);
      // Row lock on PostgreSQL so two processes cannot both pass the check (SQLite: one writer).
      if (this.engine === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row?.refresh_token_enc || this.box.open(row.refresh_token_enc) !== expectedRefreshToken) return false;
      await trx.updateTable('portals').set({
        access_token_enc: this.box.seal(next.accessToken), refresh_token_enc: this.box.seal(next.refreshToken),
        expires_at_ms: next.expiresAtMs, client_endpoint: next.clientEndpoint, server_endpoint: next.serverEndpoint,
        updated_at_ms: this.clock.nowMs(),
      }).where('id', '=', next.portalId).execute();
      return true;
    });
  }

  /** The id of the portal installed with this member_id (any status), or null. */
  async idForMember(memberId: string): Promise<string | null> {
    const row = await this.db.selectFrom('portals').select('id').where('member_id', '=', memberId).executeTakeFirst();
    return row?.id ?? null;
  }

  /**
   * The application_token events of an installed portal must carry; null for an unknown
   * portal and for one whose app was uninstalled (its events are refused until a re-install).
   */
  async applicationToken(portalId: string): Promise<string | null> {
    const row = await this.db.selectFrom('portals').select(['application_token_enc', 'status']).where('id', '=', portalId).executeTakeFirst();
    return row && row.status === 'active' ? this.box.open(row.application_token_enc) : null;
  }

  /**
   * ONAPPUNINSTALL: the portal is marked uninstalled and its OAuth tokens are forgotten (the
   * portal revoked them; nothing may call it until a re-install brings new ones). Only the
   * install the event speaks for: when `applicationToken` is no longer the stored one, a
   * re-install already replaced it and nothing changes (returns false).
   */
  async markUninstalled(portalId: string, applicationToken: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('portals').select('application_token_enc').where('id', '=', portalId);
      if (this.engine === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row || this.box.open(row.application_token_enc) !== applicationToken) return false;
      await trx.updateTable('portals').set({ status: 'uninstalled', access_token_enc: null, refresh_token_enc: null, updated_at_ms: this.clock.nowMs() })
        .where('id', '=', portalId).execute();
      return true;
    });
  }
}
