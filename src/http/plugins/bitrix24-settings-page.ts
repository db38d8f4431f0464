/**
 * The HTML of the connector settings page (bitrix24-settings.ts), in Russian:
 * what the bridge did for the open line the admin picked, and what to do next.
 * Only line numbers and error codes are interpolated (escaped all the same);
 * no token, key or member_id is ever shown.
 */

export type SettingsOutcome =
  /** The line is the bridge's line, active and fully connected: nothing to do. */
  | { kind: 'connected'; lineId: number }
  /** The setup ran for this line: connector activated, data set, events bound, line recorded. */
  | { kind: 'activated'; lineId: number; previousLineId: number | null }
  /** The configuration fixes another line for this portal. */
  | { kind: 'pinned'; lineId: number; configuredLineId: number }
  /** The setup is still running (or retrying after `lastErrorCode`). */
  | { kind: 'pending'; lineId: number; lastErrorCode: string | null }
  /** The setup failed for good. */
  | { kind: 'failed'; lineId: number; errorCode: string };

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function lines(outcome: SettingsOutcome): { status: number; tone: 'ok' | 'warn' | 'err'; headline: string; details: string[] } {
  const n = outcome.lineId;
  switch (outcome.kind) {
    case 'connected':
      return { status: 200, tone: 'ok', headline: `Открытая линия № ${n} подключена к MAX.`, details: ['Сообщения клиентов из MAX приходят в эту линию, ответы операторов уходят клиентам в MAX.'] };
    case 'activated':
      return {
        status: 200, tone: 'ok', headline: `Открытая линия № ${n} подключена к MAX.`,
        details: [
          'Сообщения клиентов из MAX теперь приходят в эту линию, ответы операторов уходят клиентам в MAX.',
          ...(outcome.previousLineId !== null && outcome.previousLineId !== n
            ? [`Прежняя линия № ${outcome.previousLineId} больше не используется мостом: её диалоги и неотправленные сообщения перенесены сюда.`] : []),
        ],
      };
    case 'pinned':
      return {
        status: 409, tone: 'warn', headline: `Мост работает с открытой линией № ${outcome.configuredLineId}, заданной в его настройках.`,
        details: [`Линию № ${n} мост не подключает. Чтобы сообщения MAX приходили сюда, укажите line_id: ${n} для этого портала в настройках моста (portals[].line_id) и перезапустите его.`],
      };
    case 'pending':
      return {
        status: 202, tone: 'warn', headline: `Подключение открытой линии № ${n} выполняется.`,
        details: [
          'Обновите страницу через минуту.',
          ...(outcome.lastErrorCode ? [`Последняя попытка не удалась (${escapeHtml(outcome.lastErrorCode)}), мост повторит её сам.`] : []),
        ],
      };
    case 'failed':
      return {
        status: 502, tone: 'err', headline: `Не удалось подключить открытую линию № ${n}.`,
        details: [`Битрикс24 отказал (${escapeHtml(outcome.errorCode)}); подробности в журнале моста. Откройте эту страницу ещё раз, чтобы повторить.`],
      };
  }
}

/** The page and its HTTP status for an outcome. */
export function settingsPage(outcome: SettingsOutcome): { status: number; html: string } {
  const { status, tone, headline, details } = lines(outcome);
  const html = '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>MAX — настройки коннектора</title>'
    + '<style>body{font:14px/1.5 system-ui,sans-serif;margin:16px;color:#333}.ok{color:#2e7d32}.warn{color:#9a5b00}.err{color:#c62828}</style></head>'
    + `<body><h2>Коннектор MAX</h2><p class="${tone}"><strong>${headline}</strong></p>${details.map((d) => `<p>${d}</p>`).join('')}</body></html>`;
  return { status, html };
}
