/**
 * A conversation's trail (trail.ts) as one self-contained HTML page to attach to a dispute:
 * inline CSS, no scripts, no external assets, A4 when printed. Russian by default, English
 * on request. Every value from the journal is escaped; the page shows what the journal holds
 * (texts as written, masked per the policy in force when each row was written), nothing else.
 */
import { conversationIdSides, isoInZone, type Trail, type TrailActor, type TrailHop, type TrailMessage, type TrailOutcome, type TrailRoute, type TrailWhat } from './trail.ts';
import type { FieldClass, MaskMode } from './masking.ts';

export type TrailLang = 'ru' | 'en';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

// ---------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------

const WHAT: Record<TrailWhat, Record<TrailLang, string>> = {
  'client-message': { ru: 'сообщение клиента', en: 'client message' },
  'client-edit': { ru: 'клиент изменил сообщение', en: 'client edited a message' },
  'client-delete': { ru: 'клиент удалил сообщение', en: 'client deleted a message' },
  'client-button': { ru: 'клиент нажал кнопку', en: 'client pressed a button' },
  'client-start': { ru: 'клиент запустил бота', en: 'client started the bot' },
  'client-stop': { ru: 'клиент остановил бота', en: 'client stopped the bot' },
  'bot-echo': { ru: 'сообщение бота (эхо)', en: 'bot message (echo)' },
  'max-update': { ru: 'событие MAX', en: 'MAX update' },
  'to-line': { ru: 'передано в открытую линию', en: 'sent to the Open Line' },
  'to-line-edit': { ru: 'правка передана в линию', en: 'edit sent to the line' },
  'to-line-delete': { ru: 'удаление передано в линию', en: 'deletion sent to the line' },
  'delivery-status': { ru: 'статус «доставлено» в Битрикс24', en: '"delivered" status to Bitrix24' },
  'reading-status': { ru: 'статус «прочитано» в Битрикс24', en: '"read" status to Bitrix24' },
  'chat-name': { ru: 'название чата в линии', en: 'chat name in the line' },
  'operator-notice': { ru: 'уведомление оператору', en: 'notice to the operator' },
  'bitrix24-call': { ru: 'запрос к Битрикс24', en: 'Bitrix24 call' },
  'operator-message': { ru: 'ответ оператора', en: 'operator reply' },
  'system-message': { ru: 'системное сообщение линии', en: 'Open Lines system message' },
  'operator-edit': { ru: 'оператор изменил сообщение', en: 'operator edited a message' },
  'operator-delete': { ru: 'оператор удалил сообщение', en: 'operator deleted a message' },
  'dialog-start': { ru: 'диалог открыт', en: 'dialog opened' },
  'dialog-finish': { ru: 'диалог закрыт', en: 'dialog closed' },
  'connector-off': { ru: 'коннектор отключён', en: 'connector switched off' },
  'line-deleted': { ru: 'линия удалена', en: 'line deleted' },
  'app-install': { ru: 'установка приложения', en: 'app install' },
  'bitrix24-event': { ru: 'событие Битрикс24', en: 'Bitrix24 event' },
  'to-client': { ru: 'отправлено клиенту в MAX', en: 'sent to the client in MAX' },
  'client-notice': { ru: 'уведомление клиенту', en: 'notice to the client' },
  'to-client-edit': { ru: 'правка отправлена в MAX', en: 'edit sent to MAX' },
  'to-client-delete': { ru: 'удаление отправлено в MAX', en: 'deletion sent to MAX' },
  'chat-info': { ru: 'запрос данных чата', en: 'chat details read' },
  'file-upload': { ru: 'загрузка файла', en: 'file upload' },
  'button-answer': { ru: 'ответ на нажатие кнопки', en: 'button press answered' },
  'max-call': { ru: 'запрос к MAX', en: 'MAX call' },
  'hook-call': { ru: 'вызов хука', en: 'hook call' },
};

const ACTOR: Record<TrailActor, Record<TrailLang, string>> = {
  client: { ru: 'клиент', en: 'client' },
  operator: { ru: 'оператор', en: 'operator' },
  bridge: { ru: 'мост', en: 'bridge' },
  system: { ru: 'система', en: 'system' },
};

const ROUTE: Record<TrailRoute, Record<TrailLang, string>> = {
  'max→bridge': { ru: 'MAX → мост', en: 'MAX → bridge' },
  'bridge→bitrix24': { ru: 'мост → Битрикс24', en: 'bridge → Bitrix24' },
  'bitrix24→bridge': { ru: 'Битрикс24 → мост', en: 'Bitrix24 → bridge' },
  'bridge→max': { ru: 'мост → MAX', en: 'bridge → MAX' },
  'bridge→hook': { ru: 'мост → хук', en: 'bridge → hook' },
};

const CLASS: Record<FieldClass, Record<TrailLang, string>> = {
  phone: { ru: 'телефоны', en: 'phones' },
  email: { ru: 'почта', en: 'emails' },
  name: { ru: 'имена', en: 'names' },
  text: { ru: 'тексты сообщений', en: 'message texts' },
  file: { ru: 'файлы и ссылки', en: 'files and links' },
};

const MODE: Record<MaskMode, Record<TrailLang, string>> = {
  none: { ru: 'сохраняются как есть', en: 'kept as they are' },
  masked: { ru: 'маскируются, остаётся форма', en: 'masked, a shape stays' },
  hashed: { ru: 'заменяются ключевым хешем (hmac:…)', en: 'replaced by a keyed hash (hmac:…)' },
  drop: { ru: 'не сохраняются', en: 'not kept' },
};

/** What a masked value of each class looks like (src/journal/masking.ts). */
const MASKED_SHAPE: Record<FieldClass, string> = {
  phone: '+7 *** ***-**-67', email: 'i***@e***.ru', name: 'И*** П***', text: '[text: 42 chars]', file: '***.pdf',
};

const T = {
  ru: {
    title: 'Журнал переписки', conversation: 'Диалог', bot: 'Бот', chat: 'Чат MAX', client: 'Клиент (ID пользователя MAX)',
    line: 'Открытая линия', route: 'Маршрут', opened: 'Диалог создан', exportedAt: 'Выгружено', exportedBy: 'Кем выгружено',
    timeZone: 'Часовой пояс', policyTitle: 'Персональные данные',
    policyNote: 'Данные маскируются в момент записи строки журнала по политике, действовавшей тогда; замаскированное восстановить нельзя. Ниже — политика, действующая на момент выгрузки: строки, записанные до её изменения, остались такими, какими были записаны. Идентификаторы и время не маскируются никогда.',
    summary: 'Сводка', clientMessages: 'Сообщений клиента', operatorMessages: 'Ответов оператора', firstClient: 'Первое сообщение клиента',
    firstReply: 'Первый ответ оператора', after: 'через', noReply: 'нет ответа оператора', failedHops: 'Неуспешных обменов',
    messages: 'Переписка', noMessages: 'В журнале нет сообщений этого диалога.',
    written: 'написано', clockMax: 'по часам MAX', clockBitrix: 'по часам Битрикс24', seen: 'получено мостом', deliveredLine: 'доставлено в Битрикс24', deliveredClient: 'доставлено клиенту в MAX',
    edited: 'изменено', deleted: 'удалено', rows: 'строки журнала', noText: 'текст не сохранён (политика или вложение)',
    hops: 'Все обмены', hopsNote: 'Каждая строка — один HTTP-обмен моста с MAX или Битрикс24 об этом диалоге, по времени начала.',
    colId: '№', colTime: 'Время', colRoute: 'Направление', colActor: 'Кто', colWhat: 'Что', colEndpoint: 'Адрес / метод',
    colStatus: 'Статус', colDuration: 'мс', colIds: 'Идентификаторы', colText: 'Текст', colAnswer: 'Ответ стороны', colCode: 'Код ошибки',
    message: 'сообщение', job: 'задача', noAnswer: 'нет ответа', duplicate: 'повтор (уже получено, без действия)',
    footer: 'Страница построена из журнала обменов моста MAX ↔ Битрикс24 без изменений его записей.', footerRows: 'Строки журнала',
    none: '—', noRows: 'нет',
  },
  en: {
    title: 'Conversation trail', conversation: 'Conversation', bot: 'Bot', chat: 'MAX chat', client: 'Client (MAX user id)',
    line: 'Open Line', route: 'Route', opened: 'Conversation created', exportedAt: 'Exported', exportedBy: 'Exported by',
    timeZone: 'Time zone', policyTitle: 'Personal data',
    policyNote: 'Values are masked when a journal row is written, by the policy in force at that moment; nothing masked can be restored. Below is the policy in force at export: rows written before it changed stay as they were written. Ids and times are never masked.',
    summary: 'Summary', clientMessages: 'Client messages', operatorMessages: 'Operator replies', firstClient: 'First client message',
    firstReply: 'First operator reply', after: 'after', noReply: 'no operator reply', failedHops: 'Failed exchanges',
    messages: 'Dialogue', noMessages: 'The journal holds no messages of this conversation.',
    written: 'written', clockMax: 'MAX clock', clockBitrix: 'Bitrix24 clock', seen: 'received by the bridge', deliveredLine: 'delivered to Bitrix24', deliveredClient: 'delivered to the client in MAX',
    edited: 'edited', deleted: 'deleted', rows: 'journal rows', noText: 'text not kept (policy or attachment)',
    hops: 'All exchanges', hopsNote: 'Each row is one HTTP exchange of the bridge with MAX or Bitrix24 about this conversation, by start time.',
    colId: '#', colTime: 'Time', colRoute: 'Direction', colActor: 'Who', colWhat: 'What', colEndpoint: 'Endpoint / method',
    colStatus: 'Status', colDuration: 'ms', colIds: 'Ids', colText: 'Text', colAnswer: 'Side\'s answer', colCode: 'Error code',
    message: 'message', job: 'job', noAnswer: 'no answer', duplicate: 'redelivery (already received, no effect)',
    footer: 'This page is generated from the exchange journal of the MAX ↔ Bitrix24 bridge, its rows unchanged.', footerRows: 'Journal rows',
    none: '—', noRows: 'none',
  },
} as const;

type Words = (typeof T)[TrailLang];

const OUTCOME: Record<TrailOutcome, Record<TrailLang, string>> = {
  delivered: { ru: 'доставлено', en: 'delivered' },
  failed: { ru: 'не доставлено', en: 'not delivered' },
  pending: { ru: 'ожидает отправки', en: 'waiting to be sent' },
  unknown: { ru: 'журнал не показывает доставку', en: 'delivery not shown in the journal' },
};

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/** `2026-03-02 10:02:15` from the trail's ISO time (its zone is named in the header). */
function localTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function timeOf(trail: Trail, ms: number): string {
  return localTime(isoInZone(ms, trail.timeZone));
}

/** `3 мин 10 с` / `3 min 10 s`; `1 ч 2 мин` past an hour. */
function durationText(ms: number, lang: TrailLang): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  const units = lang === 'ru' ? ['ч', 'мин', 'с'] : ['h', 'min', 's'];
  const parts = h > 0 ? [[h, units[0]], [m, units[1]]] : m > 0 ? [[m, units[1]], [s, units[2]]] : [[s, units[2]]];
  return parts.map(([n, u]) => `${n} ${u}`).join(' ');
}

/** Journal ids as ranges: `12–15, 20`. */
export function idRanges(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    out.push(end === start ? String(start) : `${start}–${end}`);
  }
  return out.join(', ');
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #d0d7de;padding-bottom:4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dl.meta dt{color:#57606a}dl.meta dd{margin:0;overflow-wrap:anywhere}
.note{color:#57606a;font-size:13px}
ul.policy{margin:6px 0;padding-left:20px}
table{border-collapse:collapse;width:100%}
table.summary td,table.summary th{padding:4px 10px;border:1px solid #d0d7de;text-align:left}table.summary th{background:#f6f8fa;font-weight:600;width:40%}
.dialogue{display:flex;flex-direction:column;gap:10px}
.bubble{max-width:72%;border-radius:10px;padding:8px 12px;border:1px solid #d0d7de;break-inside:avoid;page-break-inside:avoid}
.bubble.client{align-self:flex-start;background:#f1f8ff;border-color:#9cc6f5}
.bubble.operator{align-self:flex-end;background:#eefbf0;border-color:#8fd19e}
.bubble.system{align-self:center;background:#f6f8fa;font-size:13px}
.bubble .who{font-weight:600;font-size:12px;color:#57606a}
.bubble .text{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
.bubble .text.empty{color:#8c959f;font-style:italic}
.bubble .meta{font-size:12px;color:#57606a}
.outcome-delivered{color:#1a7f37}.outcome-failed{color:#cf222e;font-weight:600}.outcome-pending{color:#9a6700}.outcome-unknown{color:#57606a}
table.hops{font-size:12px}
table.hops th,table.hops td{border:1px solid #d0d7de;padding:3px 5px;vertical-align:top;text-align:left;overflow-wrap:anywhere}
table.hops th{background:#f6f8fa}
table.hops td.text{white-space:pre-wrap}
table.hops tr.failed td{background:#fff0f0}
table.hops tr.duplicate td{color:#57606a}
.nowrap{white-space:nowrap}
footer{margin-top:28px;border-top:1px solid #d0d7de;padding-top:8px;font-size:12px;color:#57606a}
@page{size:A4;margin:12mm}
@media print{
  body{max-width:none;padding:0;font-size:10pt}
  h2{break-after:avoid;page-break-after:avoid}
  table.hops{font-size:7pt}
  thead{display:table-header-group}
  tr{break-inside:avoid;page-break-inside:avoid}
  .bubble,table.hops tr.failed td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

function row(label: string, value: string): string {
  return `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>`;
}

function orNone(value: string | null | undefined, w: Words): string {
  return value === null || value === undefined || value === '' ? w.none : escapeHtml(value);
}

function header(trail: Trail, lang: TrailLang): string {
  const w = T[lang];
  const c = trail.conversation;
  const sides = conversationIdSides(trail.conversationId);
  const policy = (Object.keys(CLASS) as FieldClass[])
    .map((cls) => {
      const mode = trail.policy[cls];
      const shape = mode === 'masked' ? ` (${MASKED_SHAPE[cls]})` : '';
      return `<li>${escapeHtml(CLASS[cls][lang])}: ${escapeHtml(`${MODE[mode]?.[lang] ?? mode}${shape}`)}</li>`;
    }).join('');
  return `<header>
<h1>${escapeHtml(w.title)}</h1>
<dl class="meta">
${row(w.conversation, `<code>${escapeHtml(trail.conversationId)}</code>`)}
${row(w.bot, orNone(c?.botId ?? sides?.botId, w))}
${row(w.chat, orNone(c?.maxChatId ?? sides?.maxChatId, w))}
${row(w.client, orNone(c?.maxUserId ?? clientIdOf(trail), w))}
${row(w.line, orNone(c?.lineRef, w))}
${row(w.route, orNone(c?.routeName, w))}
${row(w.opened, c ? escapeHtml(timeOf(trail, c.createdAtMs)) : w.none)}
${row(w.exportedAt, escapeHtml(localTime(trail.exportedAtIso)))}
${row(w.exportedBy, orNone(trail.exportedBy, w))}
${row(w.timeZone, escapeHtml(`${trail.timeZone} (UTC${trail.exportedAtIso.slice(23)})`))}
</dl>
<h2>${escapeHtml(w.policyTitle)}</h2>
<ul class="policy">${policy}</ul>
<p class="note">${escapeHtml(w.policyNote)}</p>
</header>`;
}

/** The client's MAX user id as an incoming update names it (for a trail without its conversation row). */
function clientIdOf(trail: Trail): string | null {
  for (const hop of trail.hops) {
    if (hop.route !== 'max→bridge' || hop.actor !== 'client') continue;
    const update = hop.request as { message?: { sender?: { user_id?: unknown } }; user?: { user_id?: unknown } } | null;
    const id = update?.message?.sender?.user_id ?? update?.user?.user_id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return null;
}

function summary(trail: Trail, lang: TrailLang): string {
  const w = T[lang];
  const s = trail.summary;
  const first = s.firstClientMessageMs === null ? w.none : escapeHtml(timeOf(trail, s.firstClientMessageMs));
  const reply = s.firstOperatorReplyMs === null
    ? escapeHtml(w.noReply)
    : escapeHtml(`${timeOf(trail, s.firstOperatorReplyMs)}${s.firstClientMessageMs === null ? '' : ` (${w.after} ${durationText(s.firstOperatorReplyMs - s.firstClientMessageMs, lang)})`}`);
  const line = (label: string, value: string) => `<tr><th>${escapeHtml(label)}</th><td>${value}</td></tr>`;
  return `<section><h2>${escapeHtml(w.summary)}</h2><table class="summary"><tbody>
${line(w.clientMessages, String(s.clientMessages))}
${line(w.operatorMessages, String(s.operatorMessages))}
${line(w.firstClient, first)}
${line(w.firstReply, reply)}
${line(w.failedHops, String(s.failedHops))}
</tbody></table></section>`;
}

function bubble(trail: Trail, m: TrailMessage, lang: TrailLang): string {
  const w = T[lang];
  const side = m.actor === 'client' ? 'client' : m.actor === 'operator' ? 'operator' : 'system';
  const text = m.text === null ? `<div class="text empty">${escapeHtml(w.noText)}</div>` : `<div class="text">${escapeHtml(m.text)}</div>`;
  const delivered = m.direction === 'in' ? w.deliveredLine : w.deliveredClient;
  const outcome = m.outcome === 'delivered' && m.deliveredIso !== null
    ? `${delivered} ${localTime(m.deliveredIso)}`
    : OUTCOME[m.outcome][lang];
  const clock = m.direction === 'in' ? w.clockMax : w.clockBitrix;
  const written = m.writtenIso === null ? '' : `${escapeHtml(`${w.written} ${localTime(m.writtenIso)} (${clock})`)} · `;
  const marks: string[] = [...(m.edited ? [w.edited] : []), ...(m.deleted ? [w.deleted] : [])];
  return `<div class="bubble ${side}">
<div class="who">${escapeHtml(ACTOR[m.actor][lang])} · ${escapeHtml(w.message)} <code>${escapeHtml(m.messageId)}</code>${marks.length > 0 ? ` · ${escapeHtml(marks.join(', '))}` : ''}</div>
${text}
<div class="meta">${written}${escapeHtml(w.seen)} ${escapeHtml(localTime(m.firstSeenIso))} · <span class="outcome-${m.outcome}">${escapeHtml(outcome)}</span></div>
<div class="meta">${escapeHtml(w.rows)}: ${escapeHtml(idRanges(m.hops) || w.noRows)}</div>
</div>`;
}

function dialogue(trail: Trail, lang: TrailLang): string {
  const w = T[lang];
  const body = trail.messages.length === 0
    ? `<p class="note">${escapeHtml(w.noMessages)}</p>`
    : `<div class="dialogue">${trail.messages.map((m) => bubble(trail, m, lang)).join('\n')}</div>`;
  return `<section><h2>${escapeHtml(w.messages)}</h2>\n${body}\n</section>`;
}

function hopRow(hop: TrailHop, lang: TrailLang): string {
  const w = T[lang];
  const ids = [hop.messageId === null ? null : `${w.message}: ${hop.messageId}`, hop.jobId === null ? null : `${w.job}: ${hop.jobId}`]
    .filter((x): x is string => x !== null).map(escapeHtml).join('<br>');
  const classes = [hop.ok ? null : 'failed', hop.duplicate ? 'duplicate' : null].filter(Boolean).join(' ');
  const what = `${escapeHtml(WHAT[hop.what][lang])}${hop.duplicate ? `<br><em>${escapeHtml(w.duplicate)}</em>` : ''}`;
  return `<tr${classes ? ` class="${classes}"` : ''}>`
    + `<td>${hop.journalId}</td><td class="nowrap">${escapeHtml(localTime(hop.atIso))}</td><td class="nowrap">${escapeHtml(ROUTE[hop.route][lang])}</td>`
    + `<td>${escapeHtml(ACTOR[hop.actor][lang])}</td><td>${what}</td><td><code>${escapeHtml(hop.endpoint)}</code></td>`
    + `<td>${hop.status === null ? escapeHtml(w.noAnswer) : hop.status}</td><td>${hop.durationMs}</td><td>${ids || w.none}</td>`
    + `<td class="text">${orNone(hop.text, w)}</td><td>${orNone(hop.answer, w)}</td><td>${orNone(hop.errorCode, w)}</td></tr>`;
}

function hopTable(trail: Trail, lang: TrailLang): string {
  const w = T[lang];
  const heads = [w.colId, w.colTime, w.colRoute, w.colActor, w.colWhat, w.colEndpoint, w.colStatus, w.colDuration, w.colIds, w.colText, w.colAnswer, w.colCode];
  return `<section><h2>${escapeHtml(w.hops)}</h2><p class="note">${escapeHtml(w.hopsNote)}</p>
<table class="hops"><thead><tr>${heads.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${trail.hops.map((h) => hopRow(h, lang)).join('\n')}
</tbody></table></section>`;
}

function footer(trail: Trail, lang: TrailLang): string {
  const w = T[lang];
  const ids = trail.hops.map((h) => h.journalId);
  return `<footer><p>${escapeHtml(w.footer)}</p><p>${escapeHtml(w.footerRows)} (${ids.length}): ${escapeHtml(idRanges(ids) || w.noRows)}.</p>
<p>${escapeHtml(w.exportedAt)} ${escapeHtml(localTime(trail.exportedAtIso))} (${escapeHtml(trail.timeZone)}) · ${escapeHtml(w.exportedBy)}: ${orNone(trail.exportedBy, w)}</p></footer>`;
}

export function renderTrailHtml(trail: Trail, lang: TrailLang = 'ru'): string {
  const w = T[lang];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${w.title}: ${trail.conversationId}`)}</title>
<style>${CSS}</style>
</head>
<body>
${header(trail, lang)}
${summary(trail, lang)}
${dialogue(trail, lang)}
${hopTable(trail, lang)}
${footer(trail, lang)}
</body>
</html>
`;
}

/** The trail's words in `lang`, for another page that shows a trail (the admin UI's conversation page). */
export function trailWords(lang: TrailLang) {
  return {
    ...T[lang],
    what: (what: TrailWhat) => WHAT[what][lang],
    actor: (actor: TrailActor) => ACTOR[actor][lang],
    route: (route: TrailRoute) => ROUTE[route][lang],
    outcome: (outcome: TrailOutcome) => OUTCOME[outcome][lang],
  };
}
