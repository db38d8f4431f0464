/**
 * A pasted bot token checked against MAX before it goes anywhere: `GET /me` with it, once,
 * through the MAX client (so the exchange is journaled with the token redacted). MAX
 * answering 401 means the token is wrong, revoked or replaced; no answer means MAX is not
 * reachable from the bridge (DNS, network, proxy, max.api_url). The token is never part of
 * what this returns.
 */
import { codeOf } from '../../log/logger.ts';
import { MAX_ERROR_CODES } from '../../max/errors.ts';
import type { MaxClient } from '../../max/client.ts';

/** What MAX says about the bot whose token was pasted. */
export interface MaxBotIdentity {
  userId: number;
  name: string;
  username: string | null;
}

export type BotTokenCheck =
  | { ok: true; bot: MaxBotIdentity }
  /** 401: MAX does not know this token (wrong, revoked or replaced). */
  | { ok: false; kind: 'rejected' }
  /** No answer: DNS, refused, TLS, timeout. */
  | { ok: false; kind: 'unreachable'; code: string }
  /** Another answer (5xx, 429, an unexpected body). */
  | { ok: false; kind: 'failed'; code: string };

const UNREACHABLE = new Set<string>([MAX_ERROR_CODES.unreachable, MAX_ERROR_CODES.network]);

export async function checkBotToken(client: MaxClient): Promise<BotTokenCheck> {
  try {
    const me = await client.getMe();
    if (typeof me.user_id !== 'number') return { ok: false, kind: 'failed', code: MAX_ERROR_CODES.notSuccessful };
    return { ok: true, bot: { userId: me.user_id, name: [me.first_name, me.last_name].filter(Boolean).join(' '), username: me.username ?? null } };
  } catch (err) {
    const code = codeOf(err);
    if (code === MAX_ERROR_CODES.unauthorized) return { ok: false, kind: 'rejected' };
    if (UNREACHABLE.has(code)) return { ok: false, kind: 'unreachable', code };
    return { ok: false, kind: 'failed', code };
  }
}
