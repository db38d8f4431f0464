/**
 * `max.subscription`: each webhook bot has exactly one MAX subscription pointing at this bridge
 * (`${PUBLIC_URL}/max/webhook/<bot>`, GET /subscriptions). MAX drops a subscription silently
 * after 8 hours of failed deliveries (spec max-bot-api §2.1); the bridge's maintenance puts it
 * back within 10 minutes, but until then nothing arrives. A bot that polls must have none:
 * MAX serves no long polling while a subscription exists.
 */
import type { BotConfig } from '../../config/schema.ts';
import { sameEndpoint } from '../../domain/endpoint-address.ts';
import type { DoctorContext } from '../deps.ts';
import { failed, ok, skip, warned, words, type CheckResult } from '../result.ts';
import { withTimeLimit } from '../time-limit.ts';
import { maxFailure } from './max-token.ts';

const ID = 'max.subscription';

export async function subscriptionCheck(ctx: DoctorContext, bot: BotConfig, tokenAccepted: boolean): Promise<CheckResult> {
  const subject = `bot ${bot.id}`;
  if (!tokenAccepted) return skip(ID, subject, words('Не проверено: бот не прошёл проверку токена (max.token).', 'Not checked: the bot did not pass the token check (max.token).'));
  let urls: string[];
  try {
    const { subscriptions } = await withTimeLimit(ctx.maxClient(bot.id).getSubscriptions(), ctx.timeoutMs, 'GET /subscriptions');
    urls = subscriptions.map((s) => s.url);
  } catch (err) {
    const failure = maxFailure(err);
    return failed(ID, subject, words(`GET /subscriptions не удался: ${failure.text}`, `GET /subscriptions failed: ${failure.text}`),
      words('Повторите проверку; если ошибка остаётся — смотрите max.token и журнал обменов.', 'Run the check again; if it stays, see max.token and the journal.'));
  }
  const details = { subscriptions: urls, updates: bot.updates };
  if (bot.updates === 'polling') {
    if (urls.length === 0) return ok(ID, subject, words('Бот получает обновления опросом; подписок нет, как и нужно.', 'The bot polls for updates; it has no subscription, as it should.'), details);
    return failed(ID, subject,
      words(`Бот получает обновления опросом, но у него есть подписка (${urls.join(', ')}): пока она есть, MAX не отдаёт обновления опросом.`, `The bot polls for updates, but it has a subscription (${urls.join(', ')}): while one exists, MAX serves no polling.`),
      words('Удалите подписку (DELETE /subscriptions?url=… с токеном бота; свои мост удаляет сам при запуске) или переведите бота на вебхук (updates: webhook).',
        'Delete the subscription (DELETE /subscriptions?url=… with the bot\'s token; the bridge removes its own at start) or switch the bot to webhooks (updates: webhook).'),
      details);
  }
  const publicUrl = ctx.config.server.public_url;
  if (publicUrl === undefined) return skip(ID, subject, words('Не проверено: PUBLIC_URL не задан.', 'Not checked: PUBLIC_URL is not set.'), details);
  const ours = `${publicUrl}/max/webhook/${bot.id}`;
  const exact = urls.filter((u) => u === ours);
  const staleOurs = urls.filter((u) => u !== ours && sameEndpoint(u, ours));
  const others = urls.filter((u) => !sameEndpoint(u, ours));
  if (exact.length === 0) {
    return failed(ID, subject,
      words(`У бота нет подписки на этот мост (${ours})${urls.length > 0 ? `; есть только ${urls.join(', ')}` : ''}: MAX не доставляет мосту ни одного сообщения. Так бывает, когда MAX снял подписку после 8 часов неудачных доставок или её удалили.`,
        `The bot has no subscription to this bridge (${ours})${urls.length > 0 ? `; only ${urls.join(', ')}` : ''}: MAX delivers nothing to the bridge. This happens when MAX dropped it after 8 hours of failed deliveries, or someone deleted it.`),
      words('Мост восстанавливает подписку сам при запуске и каждые 10 минут (и дочитывает пропущенное из истории чатов): перезапустите мост, чтобы не ждать. Если подписка пропадает снова — MAX не может достучаться до PUBLIC_URL: смотрите public_url.reachable.',
        'The bridge subscribes again by itself at start and every 10 minutes (and reads what was missed from the chats\' history): restart it not to wait. If the subscription keeps vanishing, MAX cannot reach PUBLIC_URL: see public_url.reachable.'),
      details);
  }
  if (others.length > 0) {
    return warned(ID, subject,
      words(`Подписка на этот мост есть, но обновления бота получают и другие адреса: ${others.join(', ')} (другой сервер с тем же токеном?).`, `The subscription to this bridge exists, but other addresses receive the bot's updates too: ${others.join(', ')} (another server with the same token?).`),
      words('Если это не ваши адреса — удалите их (DELETE /subscriptions?url=… с токеном бота) и выпустите боту новый токен.', 'If they are not yours, delete them (DELETE /subscriptions?url=… with the bot\'s token) and issue the bot a new token.'),
      details);
  }
  if (staleOurs.length > 0) {
    return warned(ID, subject,
      words(`Кроме подписки на этот мост есть её устаревший двойник (${staleOurs.join(', ')}): сообщения могут приходить дважды (мост их отсеивает).`, `Besides the subscription to this bridge there is a stale twin of it (${staleOurs.join(', ')}): messages may arrive twice (the bridge drops the copies).`),
      words('Мост удалит его сам при следующем обслуживании (каждые 10 минут) или при перезапуске.', 'The bridge removes it by itself at the next maintenance (every 10 minutes) or at a restart.'),
      details);
  }
  return ok(ID, subject, words(`Одна подписка, на этот мост: ${ours}.`, `One subscription, to this bridge: ${ours}.`), details);
}
