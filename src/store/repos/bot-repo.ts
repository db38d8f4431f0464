/**
 * Bots that take their updates by long polling (src/bridge/polling.ts): the
 * token (encrypted) and the marker of the last batch durably stored. The
 * marker is an int64 and kept as text. The marker moves in the same
 * transaction that stores its batch's events.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { BotId } from '../../domain/ids.ts';
import type { CryptoBox } from '../crypto-box.ts';
import type { Queryable } from '../db.ts';
import type { Database } from '../schema.ts';

export class BotRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: CryptoBox,
    private readonly clock: Clock,
  ) {}

  /** Records a polling bot (its token sealed, its mode polling) and returns its stored marker, null before its first batch. */
  async ensurePolling(bot: { id: BotId; name: string; token: string }): Promise<string | null> {
    await this.db.insertInto('bots').values({
      id: bot.id, name: bot.name, token_enc: this.box.seal(bot.token), webhook_secret_enc: null,
      updates_mode: 'polling', poll_marker: null, created_at_ms: this.clock.nowMs(),
    }).onConflict((oc) => oc.column('id').doUpdateSet({ token_enc: this.box.seal(bot.token), updates_mode: 'polling' })).execute();
    const row = await this.db.selectFrom('bots').select('poll_marker').where('id', '=', bot.id).executeTakeFirstOrThrow();
    return row.poll_marker;
  }

  /** Moves a bot's marker; in the transaction that stores the batch it follows. */
  async setPollMarker(botId: BotId, marker: string | null, db: Queryable): Promise<void> {
    await db.updateTable('bots').set({ poll_marker: marker }).where('id', '=', botId).execute();
  }
}
