/** Re-hosted media (bytes in the database, so every bridge process can serve them). */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export interface StoredMedia {
  id: string;
  name: string;
  mime: string;
  data: Uint8Array;
  expiresAtMs: number;
}

export class MediaRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Stores the bytes under a new unguessable id. */
  async put(input: { conversationId: string; name: string; mime: string; data: Uint8Array; ttlMs: number }): Promise<StoredMedia> {
    const id = randomBytes(18).toString('base64url');
    const now = this.clock.nowMs();
    const expiresAtMs = now + input.ttlMs;
    await this.db.insertInto('media').values({
      id, conversation_id: input.conversationId, name: input.name, mime: input.mime, size_bytes: input.data.byteLength,
      data: Buffer.from(input.data), created_at_ms: now, expires_at_ms: expiresAtMs,
    }).execute();
    return { id, name: input.name, mime: input.mime, data: input.data, expiresAtMs };
  }

  async get(id: string): Promise<StoredMedia | null> {
    const row = await this.db.selectFrom('media').select(['id', 'name', 'mime', 'data', 'expires_at_ms']).where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, name: row.name, mime: row.mime, data: row.data, expiresAtMs: Number(row.expires_at_ms) } : null;
  }

  /** Deletes what expired; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('media').where('expires_at_ms', '<', this.clock.nowMs()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
