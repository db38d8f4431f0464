/**
 * `/admin/ui/hooks`: the webhooks (name, address with its query's values hidden, events, how
 * their deliveries stand and what to do about it), the delivery log (the latest of every
 * webhook, or of one, by state), the checks, and the conversations a check or an administrator
 * holds or blocks — with release and block for an administrator (POST, as
 * `POST /admin/conversations/:id/release|block`: src/bridge/checks/gate-admin.ts).
 * The same facts as `GET /admin/hooks/webhooks`, `/admin/hooks/deliveries` and `/admin/gates`.
 */
import { blockConversation, releaseConversation } from '../../bridge/checks/gate-admin.ts';
import { HOOK_EVENT_TYPES, webhookName } from '../../config/hooks-schema.ts';
import { parseConversationId } from '../../domain/ids.ts';
import { webhookAddress } from '../../hooks/webhook-address.ts';
import type { ConversationGate, DeliveryState, HookDelivery } from '../../store/repos/hook-repo.ts';
import { formatAgo, formatDuration, formatTime } from '../i18n.ts';
import { pageUrl, type AdminPage, type PageContext } from '../page.ts';
import { filtersOf, hrefOf } from '../query-href.ts';
import { renderView } from '../render.ts';
import { HOOKS_VIEW } from '../views/hooks.ts';

/** Deliveries shown: the latest of all webhooks, or of the one chosen. */
const DELIVERIES_SHOWN = 30;
const DELIVERIES_OF_ONE = 100;
/** A pending delivery older than this means the receiver is slow or down (retries back off to minutes). */
export const DELIVERY_LATE_MS = 5 * 60_000;
const STATES: readonly DeliveryState[] = ['pending', 'delivered', 'failed'];

interface Counts {
  pending: number;
  delivered: number;
  failed: number;
  oldestPendingMs: number | null;
}

function health(ctx: PageContext, c: Counts) {
  if (c.failed > 0) {
    return { healthClass: 'bad', healthLabel: ctx.t('есть неудачные', 'has failures'), fix: ctx.t(
      `${c.failed} доставок не удалось: они среди недоставленных; почините получателя и повторите их на странице «Недоставленные».`,
      `${c.failed} deliveries failed: they are dead letters; fix the receiver and replay them on the Dead letters page.`) };
  }
  if (c.oldestPendingMs !== null && ctx.nowMs - c.oldestPendingMs > DELIVERY_LATE_MS) {
    return { healthClass: 'warn', healthLabel: ctx.t('задерживается', 'late'), fix: ctx.t(
      `Старейшая доставка ждёт ${formatDuration(ctx.nowMs - c.oldestPendingMs, ctx.lang)}: получатель не отвечает 2xx — проверьте его адрес и журнал (сторона «хук»).`,
      `The oldest delivery has waited ${formatDuration(ctx.nowMs - c.oldestPendingMs, ctx.lang)}: the receiver does not answer 2xx — check its address and the journal (side "hook").`) };
  }
  return { healthClass: 'ok', healthLabel: ctx.t('в порядке', 'fine'), fix: null };
}

function stateLabel(ctx: PageContext, state: DeliveryState): string {
  return state === 'pending' ? ctx.t('ждёт', 'pending') : state === 'delivered' ? ctx.t('доставлено', 'delivered') : ctx.t('не удалось', 'failed');
}

function deliveryView(ctx: PageContext, d: HookDelivery) {
  const last = d.lastStatus === null && d.lastError === null ? '—'
    : [d.lastStatus === null ? ctx.t('нет ответа', 'no answer') : `HTTP ${d.lastStatus}`, d.lastError === null ? null : ctx.mask.text(d.lastError),
      d.lastDurationMs === null ? null : `${d.lastDurationMs} ${ctx.t('мс', 'ms')}`].filter(Boolean).join(' · ');
  return {
    id: d.id, webhook: d.webhook, type: d.eventType, state: stateLabel(ctx, d.state), stateClass: d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'bad' : 'warn',
    failed: d.state === 'failed', attempts: d.attempts, last,
    conversation: d.conversationId === null ? null : { id: d.conversationId, href: pageUrl(`conversations/${encodeURIComponent(d.conversationId)}`) },
    created: formatTime(d.createdAtMs, ctx.lang), delivered: d.deliveredAtMs === null ? '—' : formatTime(d.deliveredAtMs, ctx.lang),
  };
}

function gateView(ctx: PageContext, g: ConversationGate) {
  return {
    id: g.conversationId, href: pageUrl(`conversations/${encodeURIComponent(g.conversationId)}`), blocked: g.verdict === 'block',
    verdict: g.verdict === 'hold' ? ctx.t('задержан', 'held') : ctx.t('заблокирован', 'blocked'), cls: g.verdict === 'hold' ? 'warn' : 'bad',
    check: g.checkName, note: g.note === null ? '—' : ctx.mask.text(g.note), told: g.replied ? ctx.t('да', 'yes') : ctx.t('нет', 'no'),
    since: `${formatTime(g.sinceMs, ctx.lang)} (${formatAgo(g.sinceMs, ctx.nowMs, ctx.lang)})`,
  };
}

async function webhooksView(ctx: PageContext) {
  const configured = ctx.deps.config().hooks.webhooks;
  const summary = await ctx.deps.store.hooks.summary();
  const countsOf = (name: string): Counts => {
    const of = summary.filter((s) => s.webhook === name);
    const count = (state: DeliveryState) => of.find((s) => s.state === state)?.count ?? 0;
    return { pending: count('pending'), delivered: count('delivered'), failed: count('failed'), oldestPendingMs: of.find((s) => s.state === 'pending')?.oldestMs ?? null };
  };
  const names = new Set(configured.map((w) => webhookName(w)));
  const entry = (name: string, url: string, events: string, masked: boolean, isConfigured: boolean) => {
    const counts = countsOf(name);
    return { name, url, events, masked, configured: isConfigured, href: hrefOf(pageUrl('hooks'), { webhook: name }), ...counts, ...health(ctx, counts) };
  };
  return [
    ...configured.map((w) => entry(webhookName(w), webhookAddress(w.url), w.events ? w.events.join(', ') : ctx.t(`все (${HOOK_EVENT_TYPES.length})`, `all (${HOOK_EVENT_TYPES.length})`), w.masked, true)),
    // Removed from the configuration, still with deliveries in the log.
    ...[...new Set(summary.map((s) => s.webhook))].filter((n) => !names.has(n)).map((n) => entry(n, '—', '—', false, false)),
  ];
}

async function render(ctx: PageContext, notices: Array<{ text: string; bad: boolean }>) {
  const f = filtersOf(ctx.query, ['webhook', 'state', 'done']);
  const state = STATES.find((s) => s === f.state);
  const webhooks = await webhooksView(ctx);
  const deliveries = await ctx.deps.store.hooks.deliveries({ webhook: f.webhook, state, limit: f.webhook ? DELIVERIES_OF_ONE : DELIVERIES_SHOWN });
  const gates = await ctx.deps.store.hooks.gates();
  const done = f.done === 'released' ? ctx.t('Диалог отпущен: задержанные сообщения уходят в линию.', 'Released: the held messages go to the line.')
    : f.done === 'blocked' ? ctx.t('Диалог заблокирован.', 'Blocked.') : null;
  const t = ctx.t;
  return renderView(HOOKS_VIEW, {
    notices: [...(done ? [{ text: done, bad: false }] : []), ...notices], action: pageUrl('hooks'), csrfToken: ctx.csrfToken, canAct: ctx.user.role === 'admin',
    w: {
      webhooks: t('Вебхуки', 'Webhooks'), noWebhooks: t('Вебхуков нет (hooks.webhooks в конфигурации).', 'No webhooks (hooks.webhooks in the configuration).'),
      name: t('Имя', 'Name'), url: t('Адрес', 'Address'), events: t('События', 'Events'), pending: t('Ждут', 'Pending'), delivered: t('Доставлено', 'Delivered'),
      failed: t('Не удалось', 'Failed'), health: t('Состояние', 'Health'), removed: t('удалён из конфигурации', 'removed from the configuration'),
      masked: t('персональные данные маскируются', 'personal data masked'), webhook: t('Вебхук', 'Webhook'), state: t('Состояние', 'State'), any: t('все', 'all'),
      show: t('Показать', 'Show'), noDeliveries: t('Доставок нет.', 'No deliveries.'), type: t('Событие', 'Event'), conversation: t('Диалог', 'Conversation'),
      attempts: t('Попыток', 'Attempts'), last: t('Последняя попытка', 'Last attempt'), created: t('Создана', 'Created'), deliveredAt: t('Доставлена', 'Delivered at'),
      checks: t('Проверки', 'Checks'), noChecks: t('Проверок нет (hooks.checks в конфигурации).', 'No checks (hooks.checks in the configuration).'),
      timeout: t('Ждать, мс', 'Timeout, ms'), onError: t('Если нет ответа', 'On no answer'), eachMessage: t('Каждое сообщение', 'Each message'),
      gates: t('Задержанные и заблокированные диалоги', 'Held and blocked conversations'), noGates: t('Таких диалогов нет.', 'None.'),
      verdict: t('Решение', 'Verdict'), check: t('Проверка', 'Check'), note: t('Примечание', 'Note'), told: t('Клиенту сказано', 'Client told'),
      since: t('С', 'Since'), release: t('Отпустить', 'Release'), block: t('Заблокировать', 'Block'),
    },
    webhooks, deliveriesTitle: f.webhook ? t(`Доставки: ${f.webhook}`, `Deliveries: ${f.webhook}`) : t('Последние доставки', 'Latest deliveries'),
    webhookOptions: webhooks.map((h) => ({ value: h.name, selected: h.name === f.webhook })),
    stateOptions: STATES.map((s) => ({ value: s, label: stateLabel(ctx, s), selected: s === state })),
    deliveries: deliveries.map((d) => deliveryView(ctx, d)),
    checks: ctx.deps.config().hooks.checks.map((c) => ({
      name: c.name, url: webhookAddress(c.url), timeout: c.timeout_ms, onError: c.on_error, eachMessage: c.each_message ? t('да', 'yes') : t('нет', 'no'),
    })),
    gates: gates.map((g) => gateView(ctx, g)),
  });
}

export const hooksPage: AdminPage = {
  path: 'hooks',
  nav: { ru: 'Хуки', en: 'Hooks', order: 60 },
  async get(ctx) {
    return { title: ctx.t('Хуки и проверки', 'Hooks and checks'), html: await render(ctx, []) };
  },
  async post(ctx, form) {
    const id = parseConversationId(form.conversation ?? '');
    const problem = async (status: number, ru: string, en: string) => ({ status, result: { title: ctx.t('Хуки и проверки', 'Hooks and checks'), html: await render(ctx, [{ text: ctx.t(ru, en), bad: true }]) } });
    if (id === null) return problem(400, 'Id диалога — <бот>:<чат MAX>.', 'A conversation id is <bot id>:<MAX chat id>.');
    const by = { nowMs: ctx.nowMs, note: (form.note ?? '').trim().slice(0, 1_000) || null };
    if (form.action === 'release') {
      const done = await releaseConversation(ctx.deps.store, id, by);
      if (!done.done) return problem(409, `Диалог ${id} не задержан и не заблокирован.`, `Conversation ${id} is neither held nor blocked.`);
    } else if (form.action === 'block') {
      const done = await blockConversation(ctx.deps.store, id, by);
      if (!done.done) return problem(404, `Диалога ${id} нет.`, `No conversation ${id}.`);
    } else {
      return problem(400, 'Неизвестное действие.', 'Unknown action.');
    }
    ctx.deps.poke();
    return { redirect: hrefOf(pageUrl('hooks'), { done: form.action === 'release' ? 'released' : 'blocked' }) + '#gates' };
  },
};
