/**
 * Read-only facts for the admin UI's overview (src/admin/pages/overview.ts) that no other
 * repository gives: each installed portal's state (never its tokens), when each bot's last
 * update arrived, and the errors the journal recorded lately. Every query is bounded by an
 * index: the portals table is tiny; the last update reads the events' time index backwards
 * from now, within `sinceMs`; the errors read the journal's time index within `sinceMs`.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export interface PortalSummary {
  id: string;
  domain: string;
  status: 'active' | 'uninstalled';
  /** When the current access token expires (it is refreshed as it is needed). */
  accessExpiresAtMs: number;
  /** The last install or token refresh. */
  updatedAtMs: number;
}

export interface RecentError {
  side: string;
  errorCode: string;
  count: number;
  lastAtMs: number;
  /** The endpoint of the latest of them (a path or a REST method; never carries a secret). */
  lastEndpoint: string;
}

export class OverviewRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async portals(): Promise<PortalSummary[]> {
    const rows = await this.db.selectFrom('portals').select(['id', 'domain', 'status', 'expires_at_ms', 'updated_at_ms']).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, domain: r.domain, status: r.status, accessExpiresAtMs: Number(r.expires_at_ms), updatedAtMs: Number(r.updated_at_ms) }));
  }

  /** When the newest event of `source` (`max:<bot id>`) arrived, if one arrived since `sinceMs`. */
  async lastEventAt(source: string, sinceMs: number): Promise<number | null> {
    const row = await this.db.selectFrom('events').select('received_at_ms').where('received_at_ms', '>=', sinceMs).where('source', '=', source)
      .orderBy('received_at_ms', 'desc').limit(1).executeTakeFirst();
    return row ? Number(row.received_at_ms) : null;
  }

  /** Journal rows with an error code since `sinceMs`, by side and code, most frequent first. */
  async recentErrors(sinceMs: number, limit = 20): Promise<RecentError[]> {
    const rows = await this.db.selectFrom('journal')
      .select(['side', 'error_code', sql<number>`count(*)`.as('n'), sql<number>`max(at_ms)`.as('last_at'), sql<number>`max(id)`.as('last_id')])
      .where('at_ms', '>=', sinceMs).where('error_code', 'is not', null).groupBy(['side', 'error_code'])
      .orderBy(sql`count(*)`, 'desc').limit(limit).execute();
    const lastIds = rows.map((r) => Number(r.last_id));
    const endpoints = lastIds.length === 0 ? [] : await this.db.selectFrom('journal').select(['id', 'endpoint']).where('id', 'in', lastIds).execute();
    const endpointOf = new Map(endpoints.map((e) => [Number(e.id), e.endpoint]));
    return rows.map((r) => ({
      side: r.side, errorCode: r.error_code ?? '', count: Number(r.n), lastAtMs: Number(r.last_at), lastEndpoint: endpointOf.get(Number(r.last_id)) ?? '',
    }));
  }
}
