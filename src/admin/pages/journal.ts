/**
 * `/admin/ui/journal`: the exchange journal searched as the CLI and the admin API search it
 * (src/journal/journal-query.ts: time range, side, direction, conversation, client, chat,
 * message, bot, portal, line, status, error code, words), newest first, PAGE_ROWS a page,
 * each row with its request and response bodies to unfold. Bodies are as the journal holds
 * them (secrets redacted, personal data masked by the policy when written); a viewer sees them
 * masked again by the page's `mask`, and may not search the bodies' words (that would probe
 * what the mask hides). A page that shows rows of clients' conversations is an access record
 * naming them (src/admin/access-journal.ts).
 */
import { parseJournalQuery } from '../../journal/journal-query.ts';
import { ACCESS_SIDE, parseJournalBody } from '../../journal/trail.ts';
import { trailWords } from '../../journal/trail-html.ts';
import type { JournalRow } from '../../store/repos/journal-repo.ts';
import { recordAccess } from '../access-journal.ts';
import { formatTime } from '../i18n.ts';
import { pageUrl, type AdminPage, type PageContext } from '../page.ts';
import { filtersOf, hrefOf } from '../query-href.ts';
import { renderView } from '../render.ts';
import { JOURNAL_VIEW } from '../views/journal.ts';

/** Rows on one page. */
export const PAGE_ROWS = 50;
/** A body longer than this is cut on the page. */
const BODY_MAX_CHARS = 20_000;

/** The form's fields, in order; each is a filter of journal-query.ts by the same name. */
const FIELDS = ['from', 'to', 'side', 'direction', 'conversation', 'client', 'chat', 'message', 'bot', 'portal', 'line', 'status', 'code', 'text'] as const;
type Field = (typeof FIELDS)[number];

/** `2026-12-03T10:00` or `2026-12-03 10:00` is Moscow time, as a bare date is (journal-query.ts). */
function timeParam(value: string): string {
  return /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?$/.test(value) ? `${value.replace(' ', 'T')}+03:00` : value;
}

/** Who called whom, in words: `MAX → мост`, `мост → Битрикс24`…; an access record is a view. */
function sideLabel(ctx: PageContext, r: JournalRow): string {
  const route = (({ max: ['max→bridge', 'bridge→max'], bitrix24: ['bitrix24→bridge', 'bridge→bitrix24'], hook: ['bridge→hook', 'bridge→hook'] } as const)[r.side as 'max']);
  if (route) return trailWords(ctx.lang).route(route[r.direction === 'in' ? 0 : 1]);
  return r.side === ACCESS_SIDE ? ctx.t('просмотр в админке', 'a view in the admin UI') : `${r.side} ${r.direction}`;
}

function bodyOf(ctx: PageContext, text: string | null): string {
  if (text === null || text === '') return '—';
  const masked = ctx.user.role === 'admin' ? null : ctx.mask.value('body', parseJournalBody(text));
  const shown = masked === null ? text : typeof masked === 'string' ? masked : JSON.stringify(masked, null, 2) ?? '—';
  return shown.length > BODY_MAX_CHARS ? `${shown.slice(0, BODY_MAX_CHARS)}\n… [${shown.length - BODY_MAX_CHARS} more characters]` : shown;
}

function rowView(ctx: PageContext, r: JournalRow) {
  return {
    id: r.id, at: formatTime(r.atMs, ctx.lang), side: sideLabel(ctx, r), method: r.endpoint.startsWith(`${r.method} `) ? '' : r.method, endpoint: r.endpoint,
    status: r.status === null ? ctx.t('нет ответа', 'no answer') : String(r.status), ms: r.durationMs, code: r.errorCode,
    failed: r.side !== ACCESS_SIDE && (r.status === null || r.status >= 400),
    conversation: r.conversationId === null ? null : { id: r.conversationId, href: pageUrl(`conversations/${encodeURIComponent(r.conversationId)}`) },
    refs: r.refs.length, refsLabel: r.side === ACCESS_SIDE ? ctx.t('диалогов на странице', 'conversations on the page') : ctx.t('диалогов в пакете', 'conversations in the batch'),
    ids: [
      ...(r.messageId ? [`${ctx.t('сообщение', 'message')} ${r.messageId}`] : []), ...(r.jobId ? [`${ctx.t('задача', 'job')} ${r.jobId}`] : []),
      ...(r.maxUserId ? [`${ctx.t('клиент', 'client')} ${r.maxUserId}`] : []), ...(r.lineRef ? [`${ctx.t('линия', 'line')} ${r.lineRef}`] : []),
    ],
    request: bodyOf(ctx, r.requestBody), response: bodyOf(ctx, r.responseBody),
  };
}

function fieldsView(ctx: PageContext, f: Partial<Record<Field, string>>) {
  const text = (name: Field, label: string, placeholder = '', size = 14) => ({ name, label, type: 'text', value: f[name] ?? '', placeholder, size, options: null, step: null });
  const select = (name: Field, label: string, options: Array<[string, string]>) => ({
    name, label, type: 'select', value: '', placeholder: '', size: 0, step: null, options: options.map(([value, l]) => ({ value, label: l, selected: f[name] === value })),
  });
  return [
    text('from', ctx.t('С', 'From'), '2026-12-03 10:00', 16), text('to', ctx.t('До', 'To'), '2026-12-04', 16),
    select('side', ctx.t('Сторона', 'Side'), [['max', 'MAX'], ['bitrix24', ctx.t('Битрикс24', 'Bitrix24')], ['hook', ctx.t('хук', 'hook')], [ACCESS_SIDE, ctx.t('просмотры (152-ФЗ)', 'views (152-ФЗ)')]]),
    select('direction', ctx.t('Направление', 'Direction'), [['in', ctx.t('к нам', 'in')], ['out', ctx.t('от нас', 'out')]]),
    text('conversation', ctx.t('Диалог', 'Conversation'), 'sales:90000001', 18), text('client', ctx.t('Клиент (id MAX)', 'Client (MAX id)')),
    text('chat', ctx.t('Чат MAX', 'MAX chat')), text('message', ctx.t('Сообщение', 'Message')), text('bot', ctx.t('Бот', 'Bot'), '', 10),
    text('portal', ctx.t('Портал', 'Portal'), '', 10), text('line', ctx.t('Линия', 'Line'), 'msk:3', 8),
    select('status', ctx.t('Статус', 'Status'), [['ok', ctx.t('успешно (2xx)', 'ok (2xx)')], ['failed', ctx.t('ошибка', 'failed')]]),
    text('code', ctx.t('Код ошибки', 'Error code'), 'TIMEOUT', 16),
    ...(ctx.user.role === 'admin' ? [text('text', ctx.t('Слова', 'Words'), ctx.t('в адресе или теле', 'in endpoint or body'), 18)] : []),
  ];
}

export const journalPage: AdminPage = {
  path: 'journal',
  nav: { ru: 'Журнал', en: 'Journal', order: 30 },
  async get(ctx) {
    const f = filtersOf(ctx.query, [...FIELDS, 'before']);
    const problems: string[] = [];
    if (f.text !== undefined && ctx.user.role !== 'admin') {
      problems.push(ctx.t('Поиск по словам в телах доступен только администраторам.', 'Searching the bodies\' words is for administrators only.'));
      delete f.text;
    }
    const params: Record<string, string> = { limit: String(PAGE_ROWS) };
    for (const [name, value] of Object.entries(f)) params[name] = name === 'from' || name === 'to' ? timeParam(value) : value;
    const parsed = parseJournalQuery(params);
    if (!parsed.ok) problems.push(...parsed.problems);
    const page = parsed.ok ? await ctx.deps.store.journal.search(parsed.query) : { rows: [], nextBefore: null };
    const viewed = page.rows.filter((r) => r.side !== ACCESS_SIDE);
    const conversations = viewed.flatMap((r) => [...(r.conversationId ? [r.conversationId] : []), ...r.refs.map((x) => x.conversationId)]);
    const clients = [...new Set(viewed.flatMap((r) => (r.maxUserId ? [r.maxUserId] : [])))];
    if (conversations.length > 0 || clients.length > 0) {
      await recordAccess(ctx.deps.store.journal, {
        user: ctx.user, atMs: ctx.nowMs, page: 'journal', subject: { conversationIds: conversations, ...(clients.length === 1 ? { maxUserId: clients[0] } : {}) },
      });
    }
    const action = pageUrl('journal');
    const keep = Object.fromEntries(FIELDS.map((name) => [name, f[name]]));
    const html = renderView(JOURNAL_VIEW, {
      w: {
        any: ctx.t('все', 'all'), search: ctx.t('Найти', 'Search'), reset: ctx.t('Сбросить', 'Reset'), none: ctx.t('Ничего не найдено.', 'Nothing matched.'),
        time: ctx.t('Время', 'Time'), side: ctx.t('Сторона', 'Side'), endpoint: ctx.t('Метод и адрес', 'Method and endpoint'), status: ctx.t('Статус', 'Status'),
        ms: ctx.t('мс', 'ms'), code: ctx.t('Код', 'Code'), ids: ctx.t('Идентификаторы', 'Ids'), bodies: ctx.t('тела запроса и ответа', 'request and response bodies'),
        request: ctx.t('запрос', 'request'), response: ctx.t('ответ', 'response'),
        first: ctx.t('к новым', 'newest'), next: ctx.t('дальше', 'older'),
      },
      maskNote: ctx.user.role === 'admin' ? null : ctx.t('Вы наблюдатель: персональные данные в телах скрыты маской.', 'You are a viewer: personal data in the bodies is masked.'),
      problems, action, fields: fieldsView(ctx, f),
      timeNote: ctx.t('Время: дата (2026-12-03) или дата и время по Москве (2026-12-03 10:00), или ISO 8601 со смещением. «До» не включается. Новые строки первыми.',
        'Times: a date (2026-12-03) or a date and time in Moscow (2026-12-03 10:00), or ISO 8601 with an offset. "To" is exclusive. Newest rows first.'),
      rows: page.rows.map((r) => rowView(ctx, r)),
      first: f.before !== undefined ? hrefOf(action, keep) : null,
      next: page.nextBefore !== null ? hrefOf(action, { ...keep, before: page.nextBefore }) : null,
    });
    return { title: ctx.t('Журнал обменов', 'Exchange journal'), html };
  },
};
