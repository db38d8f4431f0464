/**
 * `max.token`: each bot's token is accepted by MAX (`GET /me`). A revoked or replaced token
 * answers 401 `verify.token`; the bot then neither receives nor sends anything.
 */
import type { BotConfig } from '../../config/schema.ts';
import { SideHeldError } from '../../domain/side-hold.ts';
import { MAX_ERROR_CODES, MaxApiError, MaxNetworkError } from '../../max/errors.ts';
import type { DoctorContext } from '../deps.ts';
import { errorText, failed, ok, words, type CheckResult, type Words } from '../result.ts';
import { withTimeLimit } from '../time-limit.ts';

const ID = 'max.token';

export type MaxFailureKind = 'unauthorized' | 'unreachable' | 'other';

/** What a failed MAX call says: the token refused, the API unreachable, or something else (with its text). */
export function maxFailure(err: unknown): { kind: MaxFailureKind; text: string } {
  const code = err instanceof SideHeldError || err instanceof MaxApiError || err instanceof MaxNetworkError ? err.code : '';
  if (code === MAX_ERROR_CODES.unauthorized || (err instanceof MaxApiError && err.status === 401)) return { kind: 'unauthorized', text: errorText(err) };
  if (code === MAX_ERROR_CODES.unreachable || err instanceof MaxNetworkError) {
    // A held bot's error carries the whole notice; the network code in it is what tells the cause.
    const failure = err instanceof MaxNetworkError ? err.failure.code : /\(([A-Z][A-Z0-9_]+)\)/.exec(errorText(err))?.[1] ?? errorText(err);
    return { kind: 'unreachable', text: failure };
  }
  return { kind: 'other', text: errorText(err) };
}

export const REISSUE_TOKEN: Words = words(
  'Выпустите новый токен бота на платформе MAX для партнёров (раздел бота → «Интеграция»), задайте его в bots[].token (или MAX_BOT_TOKEN) и перезапустите мост; всё, что ждёт отправки, уйдёт по порядку.',
  'Issue a new bot token on the MAX partner platform (the bot → "Integration"), set it as bots[].token (or MAX_BOT_TOKEN) and restart the bridge; whatever waits goes out in order.',
);

export function unreachableFix(apiUrl: string): Words {
  const host = new URL(apiUrl).host;
  return words(
    `Проверьте с этой машины DNS и доступ к ${host} (curl -v ${apiUrl}/me), прокси, межсетевой экран, корневой сертификат Минцифры (проверка max.tls) и адрес max.api_url.`,
    `From this machine, check DNS and access to ${host} (curl -v ${apiUrl}/me), the proxy, the firewall, the Russian Ministry of Digital Development root CA (check max.tls) and max.api_url.`,
  );
}

export async function maxTokenCheck(ctx: DoctorContext, bot: BotConfig): Promise<CheckResult> {
  const subject = `bot ${bot.id}`;
  try {
    const me = await withTimeLimit(ctx.maxClient(bot.id).getMe(), ctx.timeoutMs, 'GET /me');
    const handle = me.username ? ` @${me.username},` : '';
    return ok(ID, subject, words(`Токен принят: бот «${me.first_name}»,${handle} id ${String(me.user_id)}.`, `The token is accepted: bot "${me.first_name}",${handle} id ${String(me.user_id)}.`),
      { user_id: String(me.user_id), username: me.username ?? null });
  } catch (err) {
    const failure = maxFailure(err);
    if (failure.kind === 'unauthorized') {
      return failed(ID, subject,
        words(`MAX не принимает токен бота ${bot.id} (401 verify.token): токен отозван или заменён. Бот не получает и не отправляет сообщений.`,
          `MAX refuses the token of bot ${bot.id} (401 verify.token): it was revoked or replaced. The bot neither receives nor sends messages.`),
        REISSUE_TOKEN, { api_url: bot.api_url });
    }
    if (failure.kind === 'unreachable') {
      return failed(ID, subject, words(`API MAX (${bot.api_url}) недоступен: ${failure.text}.`, `The MAX API (${bot.api_url}) is unreachable: ${failure.text}.`),
        unreachableFix(bot.api_url), { api_url: bot.api_url });
    }
    return failed(ID, subject, words(`GET /me не удался: ${failure.text}`, `GET /me failed: ${failure.text}`),
      words('Повторите проверку позже; если ошибка остаётся — проверьте токен и max.api_url, журнал обменов покажет ответ MAX.',
        'Run the check again later; if it stays, check the token and max.api_url; the journal shows MAX\'s answer.'),
      { api_url: bot.api_url });
  }
}
