/**
 * `/admin/ui/conversations`: the live list of conversations, most recently changed first —
 * the client (name and phone masked for a viewer), bot, route, line, portal, state and the last
 * message either way — with filters in a GET form (bot, line, route, state, a search on the
 * client), pages of PAGE_ROWS, and a refresh every REFRESH_SECONDS without JavaScript (a meta
 * refresh; `refresh=0` turns it off). Each showing of the list is an access record naming its
 * conversations (src/admin/access-journal.ts): it shows their clients' data.
 */
import { lineRefParts, parseLineRef } from '../../domain/ids.ts';
import { CONVERSATION_LIST_STATES, type ConversationListItem, type ConversationListState } from '../../store/repos/conversation-list-repo.ts';
import { recordAccess } from '../access-journal.ts';
import { clientNameOf, lastMessageOf, lineItemOf } from '../client-identity.ts';
import { formatAgo, formatTime } from '../i18n.ts';
import { pageUrl, type AdminPage, type PageContext } from '../page.ts';
import { filtersOf, hrefOf } from '../query-href.ts';
import { renderView } from '../render.ts';
import { CONVERSATIONS_VIEW } from '../views/conversations.ts';

/** Conversations on one page. */
export const PAGE_ROWS = 50;
/** How often the list reloads itself (a meta refresh), in seconds. */
export const REFRESH_SECONDS = 60;
/** Pages past this are not offered (offset paging reads every row before the page). */
const PAGE_NUMBER_MAX = 1_000;

const FILTERS = ['bot', 'line', 'route', 'state', 'q', 'page', 'refresh'] as const;

export function stateLabel(ctx: Pick<PageContext, 't'>, state: ConversationListState): string {
  switch (state) {
    case 'active': return ctx.t('активен', 'active');
    case 'held': return ctx.t('задержан проверкой', 'held by a check');
    case 'blocked': return ctx.t('заблокирован', 'blocked');
    case 'closed': return ctx.t('сессия закрыта', 'session closed');
  }
}

export const STATE_CLASS: Record<ConversationListState, string> = { active: 'ok', held: 'warn', blocked: 'bad', closed: '' };

/** The portal and line id of a stored line ref; the ref itself when it does not read as one. */
export function lineParts(lineRef: string): { portal: string; line: string } {
  try {
    const { portalId, lineId } = lineRefParts(parseLineRef(lineRef));
    return { portal: portalId, line: String(lineId) };
  } catch {
    return { portal: '—', line: lineRef };
  }
}

function rowView(ctx: PageContext, r: ConversationListItem) {
  const item = lineItemOf(r.lastIn?.itemJson ?? null);
  const name = clientNameOf(item);
  const phone = r.clientPhone ?? (typeof item?.user.phone === 'string' ? item.user.phone : null);
  const last = lastMessageOf(ctx, r);
  const { portal, line } = lineParts(r.lineRef);
  return {
    id: r.id, href: pageUrl(`conversations/${encodeURIComponent(r.id)}`), userId: r.maxUserId,
    name: name === null ? ctx.t('имя неизвестно', 'name unknown') : ctx.mask.name(name),
    phone: phone === null ? '' : ctx.mask.phone(phone),
    tags: r.tags, bot: r.botId, route: r.routeName ?? '—', line: `${portal}:${line}`, portal,
    stateLabel: stateLabel(ctx, r.state), stateClass: STATE_CLASS[r.state],
    last: last && {
      arrow: last.direction === 'in' ? ctx.t('клиент →', 'client →') : ctx.t('← оператор', '← operator'),
      at: formatTime(last.atMs, ctx.lang), ago: formatAgo(last.atMs, ctx.nowMs, ctx.lang),
      excerpt: last.excerpt ?? ctx.t('(без текста)', '(no text)'),
    },
  };
}

export const conversationsPage: AdminPage = {
  path: 'conversations',
  nav: { ru: 'Диалоги', en: 'Conversations', order: 20 },
  async get(ctx) {
    const f = filtersOf(ctx.query, FILTERS);
    const problems: string[] = [];
    let state: ConversationListState | undefined;
    if (f.state !== undefined) {
      if ((CONVERSATION_LIST_STATES as readonly string[]).includes(f.state)) state = f.state as ConversationListState;
      else problems.push(ctx.t(`Состояние «${f.state}» неизвестно: выберите из списка.`, `State "${f.state}" is unknown: pick one from the list.`));
    }
    const pageNumber = f.page !== undefined && /^\d{1,4}$/.test(f.page) ? Math.min(Math.max(Number(f.page), 1), PAGE_NUMBER_MAX) : 1;
    const refreshSeconds = f.refresh === '0' ? 0 : REFRESH_SECONDS;
    const store = ctx.deps.store;
    const [page, facets] = [
      await store.conversationList.list({
        botId: f.bot, lineRef: f.line, routeName: f.route, state, search: f.q, personal: ctx.user.role === 'admin',
        offset: (pageNumber - 1) * PAGE_ROWS, limit: PAGE_ROWS,
      }),
      await store.conversationList.facets(),
    ];
    if (page.rows.length > 0) {
      await recordAccess(store.journal, { user: ctx.user, atMs: ctx.nowMs, page: 'conversations', subject: { conversationIds: page.rows.map((r) => r.id) } });
    }
    const action = pageUrl('conversations');
    const keep = { bot: f.bot, line: f.line, route: f.route, state: f.state, q: f.q, refresh: refreshSeconds === 0 ? '0' : undefined };
    const bots = [...new Set([...ctx.deps.config().bots.map((b) => b.id), ...facets.bots])].sort();
    const option = (selected: string | undefined) => (value: string, label = value) => ({ value, label, selected: value === selected });
    const html = renderView(CONVERSATIONS_VIEW, {
      w: {
        any: ctx.t('все', 'all'), client: ctx.t('Клиент', 'Client'), bot: ctx.t('Бот', 'Bot'), route: ctx.t('Маршрут', 'Route'), line: ctx.t('Линия', 'Line'),
        portal: ctx.t('Портал', 'Portal'), state: ctx.t('Состояние', 'State'), last: ctx.t('Последнее сообщение', 'Last message'),
        show: ctx.t('Показать', 'Show'), reset: ctx.t('Сбросить', 'Reset'), none: ctx.t('Диалогов не найдено.', 'No conversations found.'),
        prev: ctx.t('назад', 'previous'), next: ctx.t('дальше', 'next'),
        searchHint: ctx.user.role === 'admin' ? ctx.t('id, телефон или имя', 'id, phone or name') : ctx.t('id диалога или клиента', 'conversation or client id'),
      },
      maskNote: ctx.user.role === 'admin' ? null : ctx.t(
        'Вы наблюдатель: персональные данные клиентов (телефоны, имена, почта) скрыты маской. Поиск — только по идентификаторам.',
        'You are a viewer: clients\' personal data (phones, names, emails) is masked. Search by ids only.'),
      problems, action, q: f.q ?? '', refreshSeconds,
      refreshNote: refreshSeconds > 0
        ? ctx.t(`Список обновляется каждые ${refreshSeconds} с.`, `The list reloads every ${refreshSeconds} s.`)
        : ctx.t('Автообновление выключено.', 'Auto-refresh is off.'),
      refreshToggle: refreshSeconds > 0
        ? { href: hrefOf(action, { ...keep, page: f.page, refresh: '0' }), label: ctx.t('Выключить', 'Turn off') }
        : { href: hrefOf(action, { ...keep, page: f.page, refresh: undefined }), label: ctx.t('Включить', 'Turn on') },
      selects: [
        { name: 'bot', label: ctx.t('Бот', 'Bot'), options: bots.map((b) => option(f.bot)(b)) },
        { name: 'line', label: ctx.t('Линия', 'Line'), options: facets.lines.map((l) => option(f.line)(l)) },
        { name: 'route', label: ctx.t('Маршрут', 'Route'), options: facets.routes.map((r) => option(f.route)(r)) },
        { name: 'state', label: ctx.t('Состояние', 'State'), options: CONVERSATION_LIST_STATES.map((s) => option(f.state)(s, stateLabel(ctx, s))) },
      ],
      rows: page.rows.map((r) => rowView(ctx, r)),
      pageLabel: ctx.t(`страница ${pageNumber}`, `page ${pageNumber}`),
      prev: pageNumber > 1 ? hrefOf(action, { ...keep, page: pageNumber - 1 }) : null,
      next: page.more && pageNumber < PAGE_NUMBER_MAX ? hrefOf(action, { ...keep, page: pageNumber + 1 }) : null,
    });
    return { title: ctx.t('Диалоги', 'Conversations'), html };
  },
};
