/**
 * `/admin/ui/conversations/:id`: one conversation — the client (masked for a viewer), bot,
 * line, portal, route and why, state, tags, the checks' verdicts and its gate, CRM links — and
 * its trail from the journal (src/journal/trail.ts: every message both ways with whether and
 * when it was delivered, every hop with its status, time and bodies), and who looked at it.
 *
 * Every showing is first recorded in the journal (152-ФЗ, src/admin/access-journal.ts); a
 * record that cannot be written fails the page. An administrator's forms (POST, CSRF-checked
 * by the plugin) move the conversation to another route (AdminRouting.move, as
 * `POST /admin/conversations/:id/route`), and release or block it (src/bridge/checks/
 * gate-admin.ts, as `POST /admin/conversations/:id/release|block`).
 */
import { loadTrailInput } from '../../bridge/trail-source.ts';
import { blockConversation, releaseConversation } from '../../bridge/checks/gate-admin.ts';
import { routeRecordOf } from '../../bridge/router.ts';
import { conversationIdParts, parseConversationId, type ConversationId } from '../../domain/ids.ts';
import { buildTrail } from '../../journal/trail.ts';
import type { ConversationRow } from '../../store/repos/conversation-repo.ts';
import { accessesOf, recordAccess } from '../access-journal.ts';
import { clientNameOf, lineItemOf } from '../client-identity.ts';
import { formatTime } from '../i18n.ts';
import { pageUrl, type AdminPage, type PageContext, type PageOutcome } from '../page.ts';
import { hrefOf } from '../query-href.ts';
import { escapeHtml, renderView } from '../render.ts';
import { CONVERSATION_VIEW } from '../views/conversation.ts';
import { lineParts } from './conversations.ts';
import { crmView, trailView, verdictsView } from './conversation-parts.ts';

/** Longest note an administrator may keep with a release or a block (as the admin API). */
const NOTE_MAX_CHARS = 1_000;

interface Notice {
  text: string;
  bad: boolean;
}

const selfUrl = (id: string) => pageUrl(`conversations/${encodeURIComponent(id)}`);

function notFound(ctx: PageContext, text: string): PageOutcome {
  return { status: 404, result: { title: ctx.t('Диалог не найден', 'Conversation not found'), html: `<p class="notice bad">${escapeHtml(text)}</p><p><a href="${pageUrl('conversations')}">${escapeHtml(ctx.t('← к списку диалогов', '← to the conversations'))}</a></p>` } };
}

function doneNotice(ctx: PageContext): Notice[] {
  switch (ctx.query.done) {
    case 'moved': return [{ text: ctx.t('Перевод на маршрут поставлен в очередь: он выполнится в течение нескольких секунд.', 'The move is queued: it runs within seconds.'), bad: false }];
    case 'released': return [{ text: ctx.t('Диалог отпущен: задержанные сообщения уходят в линию по порядку.', 'Released: the held messages go to the line in order.'), bad: false }];
    case 'blocked': return [{ text: ctx.t('Диалог заблокирован: его сообщения пропускаются, клиенту один раз отправлен ответ о блокировке.', 'Blocked: its messages are skipped; the client is told the block reply once.'), bad: false }];
    default: return [];
  }
}

function factsOf(ctx: PageContext, id: ConversationId, c: ConversationRow | null, clientName: string | null, clientPhone: string | null) {
  const sides = conversationIdParts(id);
  const { portal, line } = c ? lineParts(c.lineRef) : { portal: '—', line: '—' };
  const state = c === null ? '—' : c.state === 'blocked' ? ctx.t('заблокирован', 'blocked') : c.routeOpen ? ctx.t('активен', 'active') : ctx.t('сессия закрыта', 'session closed');
  return [
    { label: ctx.t('Диалог', 'Conversation'), value: id, cls: 'mono' },
    { label: ctx.t('Клиент', 'Client'), value: clientName === null ? ctx.t('имя неизвестно', 'name unknown') : ctx.mask.name(clientName), cls: 'client-name' },
    { label: ctx.t('Телефон', 'Phone'), value: clientPhone === null ? '—' : ctx.mask.phone(clientPhone), cls: 'client-phone' },
    { label: ctx.t('Пользователь MAX', 'MAX user'), value: c?.maxUserId ?? '—', cls: '' },
    { label: ctx.t('Бот', 'Bot'), value: c?.botId ?? sides.botId, cls: '' },
    { label: ctx.t('Чат MAX', 'MAX chat'), value: c?.maxChatId ?? sides.maxChatId, cls: '' },
    { label: ctx.t('Портал', 'Portal'), value: portal, cls: '' },
    { label: ctx.t('Линия', 'Line'), value: line, cls: '' },
    { label: ctx.t('Маршрут', 'Route'), value: c?.routeName ?? '—', cls: '' },
    { label: ctx.t('Состояние', 'State'), value: state, cls: '' },
    { label: ctx.t('Источник (start)', 'Source (start)'), value: c?.startPayload ? ctx.mask.text(c.startPayload) : '—', cls: '' },
    { label: ctx.t('Создан', 'Created'), value: c ? formatTime(c.createdAtMs, ctx.lang) : '—', cls: '' },
    { label: ctx.t('Изменён', 'Changed'), value: c ? formatTime(c.updatedAtMs, ctx.lang) : '—', cls: '' },
  ];
}

function gateView(ctx: PageContext, gate: Awaited<ReturnType<PageContext['deps']['store']['hooks']['gate']>>) {
  if (!gate) return null;
  const since = formatTime(gate.sinceMs, ctx.lang);
  const note = gate.note ? ` — ${ctx.mask.text(gate.note)}` : '';
  return gate.verdict === 'hold'
    ? { block: false, text: ctx.t(`Задержан проверкой «${gate.checkName}» с ${since}: сообщения клиента ждут решения${note}.`, `Held by check "${gate.checkName}" since ${since}: the client's messages wait for a decision${note}.`) }
    : { block: true, text: ctx.t(`Заблокирован («${gate.checkName}») с ${since}: сообщения клиента пропускаются${note}.`, `Blocked ("${gate.checkName}") since ${since}: the client's messages are skipped${note}.`) };
}

async function render(ctx: PageContext, id: ConversationId, notices: Notice[]): Promise<PageOutcome> {
  const store = ctx.deps.store;
  const conversation = await store.conversations.get(id);
  if (!conversation && (await store.journal.search({ conversationId: id, limit: 1 })).rows.length === 0) {
    return notFound(ctx, ctx.t(`Диалога ${id} нет, и строк журнала о нём нет.`, `No conversation ${id} and no journal rows of it.`));
  }
  const sides = conversationIdParts(id);
  // The record comes first: no look at a client's data without it.
  await recordAccess(store.journal, {
    user: ctx.user, atMs: ctx.nowMs, page: 'conversation',
    subject: { conversationId: id, botId: sides.botId, maxChatId: sides.maxChatId, maxUserId: conversation?.maxUserId ?? null, ...(conversation ? { lineRef: conversation.lineRef } : {}) },
  });
  const lastIn = lineItemOf((await store.conversationList.lastInboundOf(id))?.itemJson ?? null);
  const phone = conversation?.clientPhone ?? (typeof lastIn?.user.phone === 'string' ? lastIn.user.phone : null);
  const [gate, verdicts, links, portals, accesses] = [
    await store.hooks.gate(id), await store.hooks.verdictsOf(id), await store.crmLinks.ofConversation(id), await store.overview.portals(), await accessesOf(store.journal, id),
  ];
  const input = await loadTrailInput(store, id, { exportedAtMs: ctx.nowMs, exportedBy: ctx.user.username, policy: ctx.deps.policy() });
  const trail = input ? buildTrail(input) : null;
  const record = routeRecordOf(conversation?.routeJson ?? null);
  const routeNames = ctx.deps.routing?.names() ?? [];
  const canAct = ctx.user.role === 'admin';
  const html = renderView(CONVERSATION_VIEW, {
    ...trailView(ctx, trail),
    w: words(ctx), notices: [...doneNotice(ctx), ...notices], self: selfUrl(id), listHref: pageUrl('conversations'), csrfToken: ctx.csrfToken,
    maskNote: canAct ? null : ctx.t('Вы наблюдатель: персональные данные клиента (телефоны, имена, почта, файлы) скрыты маской.', 'You are a viewer: the client\'s personal data (phones, names, emails, files) is masked.'),
    facts: factsOf(ctx, id, conversation, clientNameOf(lastIn), phone),
    why: record ? record.why[ctx.lang] : [], currentRoute: conversation?.routeName ?? null,
    canAct: canAct && conversation !== null, routeNames,
    tags: conversation?.tags ?? [], gate: gateView(ctx, gate), verdicts: verdictsView(ctx, verdicts),
    crm: crmView(ctx, links, portals, ctx.deps.config().portals),
    accessNote: ctx.t(
      `Каждый просмотр данных клиента записывается в журнал (152-ФЗ): npm run bridge -- journal search --side admin --conversation ${id}${accesses.more ? '. Показаны последние 50.' : ''}`,
      `Every look at a client's data is recorded in the journal (152-ФЗ): npm run bridge -- journal search --side admin --conversation ${id}${accesses.more ? '. The latest 50 are shown.' : ''}`),
    accesses: accesses.records.map((a) => ({
      at: formatTime(a.atMs, ctx.lang), viewer: a.viewer, id: a.journalId,
      role: a.role === 'admin' ? ctx.t('администратор', 'administrator') : a.role === 'viewer' ? ctx.t('наблюдатель', 'viewer') : '—',
      page: a.page === 'conversation' ? ctx.t('страница диалога', 'conversation page') : a.page === 'conversations' ? ctx.t('список диалогов', 'conversation list') : a.page === 'journal' ? ctx.t('журнал', 'journal') : a.page,
    })),
  });
  return { title: ctx.t(`Диалог ${id}`, `Conversation ${id}`), html };
}

function words(ctx: PageContext) {
  const t = ctx.t;
  return {
    back: t('к списку диалогов', 'to the conversations'), routeTitle: t('Маршрут и почему', 'Route and why'), noWhy: t('Решение не записано (диалог направлен до того, как решения стали записываться).', 'No decision recorded (routed before decisions were kept).'),
    moveTo: t('Перевести на маршрут', 'Move to route'), move: t('Перевести', 'Move'), checksTitle: t('Метки, проверки, блокировка', 'Tags, checks, gate'), tags: t('Метки', 'Tags'),
    note: t('Примечание', 'Note'), release: t('Отпустить', 'Release'), block: t('Заблокировать', 'Block'), time: t('Время', 'Time'), check: t('Проверка', 'Check'),
    verdict: t('Решение', 'Verdict'), source: t('Откуда', 'Source'), route: t('Маршрут', 'Route'), noVerdicts: t('Проверки об этом диалоге не высказывались.', 'No check has a verdict about this conversation.'),
    crmTitle: t('CRM', 'CRM'), session: t('Сессия линии', 'Line session'), portal: t('Портал', 'Portal'), mode: t('Режим', 'Mode'), state: t('Состояние', 'State'),
    crmItems: t('Лид, контакт, сделка', 'Lead, contact, deal'), how: t('Как', 'How'), noCrm: t('Связей с CRM нет.', 'No CRM links.'),
    dialogueTitle: t('Переписка', 'Dialogue'), noMessages: t('В журнале нет сообщений этого диалога.', 'The journal holds no messages of this conversation.'),
    noText: t('текст не сохранён (политика или вложение)', 'text not kept (policy or attachment)'), rows: t('строки журнала', 'journal rows'),
    hopsTitle: t('Все обмены (строки журнала)', 'All exchanges (journal rows)'), direction: t('Направление', 'Direction'), who: t('Кто', 'Who'), what: t('Что', 'What'),
    endpoint: t('Адрес / метод', 'Endpoint / method'), status: t('Статус', 'Status'), ms: t('мс', 'ms'), text: t('Текст', 'Text'), answer: t('Ответ стороны', 'Side\'s answer'),
    bodies: t('тела', 'bodies'), request: t('запрос', 'request'), response: t('ответ', 'response'),
    accessTitle: t('Кто смотрел', 'Who looked'), viewer: t('Пользователь', 'User'), role: t('Роль', 'Role'), page: t('Что открыто', 'What was opened'),
  };
}

export const conversationPage: AdminPage = {
  path: 'conversations/:id',
  async get(ctx) {
    const id = parseConversationId(ctx.params.id ?? '');
    if (id === null) return notFound(ctx, ctx.t('Id диалога — <бот>:<чат MAX>, например sales:90000001.', 'A conversation id is <bot id>:<MAX chat id>, e.g. sales:90000001.'));
    return render(ctx, id, []);
  },
  async post(ctx, form) {
    const id = parseConversationId(ctx.params.id ?? '');
    if (id === null) return notFound(ctx, ctx.t('Id диалога — <бот>:<чат MAX>.', 'A conversation id is <bot id>:<MAX chat id>.'));
    const note = (form.note ?? '').trim().slice(0, NOTE_MAX_CHARS) || null;
    const problem = (status: number, ru: string, en: string) => render(ctx, id, [{ text: ctx.t(ru, en), bad: true }]).then((page) => ('title' in page ? { status, result: page } : page));
    switch (form.action) {
      case 'move': {
        const routing = ctx.deps.routing;
        if (!routing) return problem(404, 'Маршрутизация недоступна на этом мосту.', 'Routing is not available on this bridge.');
        const names = routing.names();
        if (!form.route || !names.includes(form.route)) return problem(400, `Маршрут должен быть одним из: ${names.join(', ')}.`, `The route must be one of ${names.join(', ')}.`);
        if (!(await ctx.deps.store.conversations.get(id))) return problem(404, `Диалога ${id} нет.`, `No conversation ${id}.`);
        await routing.move(id, form.route);
        return { redirect: hrefOf(selfUrl(id), { done: 'moved' }) };
      }
      case 'release': {
        const done = await releaseConversation(ctx.deps.store, id, { nowMs: ctx.nowMs, note });
        if (!done.done) return problem(409, 'Диалог не задержан и не заблокирован проверкой: отпускать нечего.', 'The conversation is neither held nor blocked: nothing to release.');
        ctx.deps.poke();
        return { redirect: hrefOf(selfUrl(id), { done: 'released' }) };
      }
      case 'block': {
        const done = await blockConversation(ctx.deps.store, id, { nowMs: ctx.nowMs, note });
        if (!done.done) return problem(404, `Диалога ${id} нет, и проверки о нём не высказывались.`, `No conversation ${id} and no verdicts about it.`);
        ctx.deps.poke();
        return { redirect: hrefOf(selfUrl(id), { done: 'blocked' }) };
      }
      default:
        return problem(400, 'Неизвестное действие.', 'Unknown action.');
    }
  },
};
