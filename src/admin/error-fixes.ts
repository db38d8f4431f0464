/**
 * What to do about an error code, in words, for the admin UI (the overview's recent errors, the
 * dead letters). The codes and their meanings are docs/errors.md's; this is the short advice for
 * the person at the screen. A code not listed gets the general advice.
 */
import type { Lang } from './page.ts';

type Fix = readonly [ru: string, en: string];

const FIXES: Record<string, Fix> = {
  BRG_ERR_MAX_UNAUTHORIZED: ['MAX не принимает токен бота: вставьте верный токен (bots[].token или MAX_BOT_TOKEN) и перезапустите мост.', 'MAX refuses the bot\'s token: set the right token (bots[].token or MAX_BOT_TOKEN) and restart the bridge.'],
  BRG_ERR_MAX_UNREACHABLE: ['API MAX недоступен: проверьте DNS, сеть, прокси, сертификаты и max.api_url. Сообщения ждут и уйдут сами.', 'The MAX API is unreachable: check DNS, network, proxy, certificates and max.api_url. Messages wait and go by themselves.'],
  BRG_ERR_MAX_UNAVAILABLE: ['MAX временно отвечает ошибками: мост повторяет сам, ничего делать не нужно, если это не длится часами.', 'MAX answers errors for now: the bridge retries by itself; nothing to do unless it lasts for hours.'],
  BRG_ERR_MAX_NETWORK: ['Нет ответа от MAX: проверьте сеть сервера. Мост повторяет сам.', 'No answer from MAX: check the server\'s network. The bridge retries by itself.'],
  BRG_ERR_MAX_RATE_LIMITED: ['Превышен лимит MAX (30 запросов в секунду на бота): мост замедляется сам.', 'MAX\'s limit was hit (30 requests per second per bot): the bridge slows down by itself.'],
  BRG_ERR_MAX_USER_BLOCKED_BOT: ['Клиент остановил бота: ответ дойдёт, когда он снова запустит бота; тогда повторите задание.', 'The client stopped the bot: the reply can go once they start it again; replay the job then.'],
  BRG_ERR_CLIENT_BLOCKED: ['Клиент остановил бота: когда он снова напишет или запустит бота, повторите задание.', 'The client stopped the bot: once they write or start the bot again, replay the job.'],
  BRG_ERR_MAX_CHAT_DENIED: ['Бот не в чате или без прав: добавьте бота в чат, затем повторите задание.', 'The bot is not in the chat or lacks rights: add it to the chat, then replay the job.'],
  BRG_ERR_UNDELIVERABLE: ['MAX отказался принять сообщение или его часть (оператору в линии сказано, что не дошло): исправьте причину и повторите или оставьте.', 'MAX refused the message or a part of it (the operator was told in the line): fix the cause and replay, or leave it.'],
  BRG_ERR_UNKNOWN_CHAT: ['Оператор написал в чат, которого мост не знает (клиент не писал боту): повторять нечего.', 'An operator wrote into a chat the bridge does not know (the client never wrote to the bot): nothing to replay.'],
  BRG_ERR_BITRIX24_OVERLOAD: ['Битрикс24 заблокировал приложение (OVERLOAD_LIMIT): попросите поддержку Битрикс24 снять блокировку. Сообщения ждут.', 'Bitrix24 has blocked the app (OVERLOAD_LIMIT): ask Bitrix24 support to lift the block. Messages wait.'],
  BRG_ERR_BITRIX24_REAUTH_REQUIRED: ['Портал не принимает ключи приложения: установите приложение заново или исправьте client_id / client_secret.', 'The portal refuses the app\'s keys: install the app again or fix client_id / client_secret.'],
  BRG_ERR_BITRIX24_PAYMENT_REQUIRED: ['REST API портала недоступен на текущем тарифе: продлите коммерческий тариф Битрикс24.', 'The portal\'s REST API is not available on its plan: renew the Bitrix24 commercial plan.'],
  BRG_ERR_BITRIX24_UNREACHABLE: ['Портал недоступен: проверьте его адрес, DNS, сеть и сертификат. Сообщения ждут.', 'The portal is unreachable: check its address, DNS, network and certificate. Messages wait.'],
  BRG_ERR_BITRIX24_UNAVAILABLE: ['Портал временно отвечает ошибками: мост повторяет сам.', 'The portal answers errors for now: the bridge retries by itself.'],
  BRG_ERR_BITRIX24_NETWORK: ['Нет ответа от портала: проверьте сеть сервера. Мост повторяет сам.', 'No answer from the portal: check the server\'s network. The bridge retries by itself.'],
  BRG_ERR_BITRIX24_QUERY_LIMIT: ['Превышен лимит запросов портала: мост замедляется сам; если часто — уменьшите portals[].limits.', 'The portal\'s request limit was hit: the bridge slows down by itself; if often, lower portals[].limits.'],
  BRG_ERR_BITRIX24_LINE_INACTIVE: ['Линия выключена или коннектор MAX не подключён: включите его в Контакт-центре; мост проверяет линию каждые 10 минут.', 'The line is off or the MAX connector is not connected: switch it on in the Contact Center; the bridge checks the line every 10 minutes.'],
  BRG_ERR_BITRIX24_ACCESS_DENIED: ['Портал отказал в доступе: проверьте права (scope) приложения и установите его заново.', 'The portal denied access: check the app\'s scopes and install it again.'],
  BRG_ERR_BITRIX24_NOT_INSTALLED: ['Приложение не установлено на портале: установите его (адрес установки — в выводе npm start).', 'The app is not installed on the portal: install it (the install address is printed by npm start).'],
  BRG_ERR_NO_ROUTE: ['Для диалога ещё нет линии: дождитесь окончания настройки портала или проверьте маршруты (routes).', 'No line for the conversation yet: wait for the portal\'s setup to finish or check the routes.'],
  BRG_ERR_CRM_NOT_BOUND: ['Сеанс не привязан к CRM: проверьте настройки CRM линии, затем повторите задание.', 'The session is not bound to the CRM: check the line\'s CRM settings, then replay the job.'],
  BRG_ERR_HOOK_REFUSED: ['Вебхук отказал (4xx): исправьте приёмник, затем повторите задание.', 'The webhook refused (4xx): fix the receiver, then replay the job.'],
  BRG_ERR_HOOK_UNREACHABLE: ['Вебхук не отвечает: проверьте приёмник; мост повторяет сам.', 'The webhook does not answer: check the receiver; the bridge retries by itself.'],
  BRG_ERR_HOOK_NOT_CONFIGURED: ['Вебхука больше нет в настройках: верните его и повторите или оставьте.', 'The webhook is no longer configured: add it back and replay, or leave it.'],
  BRG_ERR_SECRET_KEY_MISMATCH: ['Мост запущен не с тем BRIDGE_SECRET_KEY: верните ключ или выполните rotate-key (docs/operations.md).', 'The bridge runs with another BRIDGE_SECRET_KEY: set it back or run rotate-key (docs/operations.md).'],
  BRG_ERR_FILE_TOO_LARGE: ['Файл больше лимита MAX: отправьте его клиенту другим способом.', 'The file is over MAX\'s limit: send it to the client another way.'],
};

const GENERAL: Fix = ['Смотрите описание кода в docs/errors.md и строки журнала с этим кодом.', 'See the code in docs/errors.md and the journal rows with it.'];

/** The advice for `code` in `lang`. */
export function fixFor(code: string | null, lang: Lang): string {
  const fix = (code && FIXES[code]) || GENERAL;
  return lang === 'ru' ? fix[0] : fix[1];
}
