/**
 * The conversation page's sections as view data (src/admin/views/conversation.ts): the trail
 * (src/journal/trail.ts — built there, only worded and masked here), the checks' verdicts and
 * the CRM links. Every text that may hold a client's data goes through the page's `mask`.
 */
import type { PortalSummary } from '../../store/repos/overview-repo.ts';
import type { CrmLink } from '../../store/repos/crm-link-repo.ts';
import type { CheckVerdictRow } from '../../store/repos/hook-repo.ts';
import type { BridgeConfigData } from '../../config/schema.ts';
import type { Trail, TrailHop, TrailMessage } from '../../journal/trail.ts';
import { trailWords } from '../../journal/trail-html.ts';
import { bbcodeToMaxHtml } from '../../domain/text/bbcode-to-max.ts';
import { maxHtmlToPlain } from '../../domain/text/max-html-to-plain.ts';
import { formatDuration, formatTime } from '../i18n.ts';
import type { PageContext } from '../page.ts';

/** Hops shown with their bodies: the latest ones (a conversation of years has tens of thousands; the CLI's `journal export` gives them all). */
export const HOPS_SHOWN = 500;
/** A body longer than this is cut on the page (a batch call's JSON can be tens of KB). */
const BODY_MAX_CHARS = 20_000;

function bodyText(ctx: PageContext, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const masked = ctx.mask.value('body', value);
  const text = typeof masked === 'string' ? masked : JSON.stringify(masked, null, 2) ?? '—';
  return text.length > BODY_MAX_CHARS ? `${text.slice(0, BODY_MAX_CHARS)}\n… [${text.length - BODY_MAX_CHARS} more characters]` : text;
}

/** A message's text as people read it: the line's BB-code as plain text (the hops keep it as journaled). */
const plainText = (bbcode: string) => maxHtmlToPlain(bbcodeToMaxHtml(bbcode));

function messageView(ctx: PageContext, w: ReturnType<typeof trailWords>, m: TrailMessage) {
  const side = m.actor === 'client' ? 'client' : m.actor === 'operator' ? 'operator' : 'system';
  const delivered = m.direction === 'in' ? w.deliveredLine : w.deliveredClient;
  const times = [
    ...(m.writtenMs === null ? [] : [`${w.written} ${formatTime(m.writtenMs, ctx.lang)} (${m.direction === 'in' ? w.clockMax : w.clockBitrix})`]),
    `${w.seen} ${formatTime(m.firstSeenMs, ctx.lang)}`,
  ].join(' · ');
  return {
    side, id: m.messageId, who: `${w.actor(m.actor)} · ${w.message}`,
    marks: [...(m.edited ? [w.edited] : []), ...(m.deleted ? [w.deleted] : [])].join(', '),
    text: m.text === null ? null : plainText(ctx.mask.text(m.text)), times, outcome: m.outcome,
    outcomeText: m.outcome === 'delivered' && m.deliveredMs !== null ? `${delivered} ${formatTime(m.deliveredMs, ctx.lang)}` : w.outcome(m.outcome),
    hops: m.hops,
  };
}

function hopView(ctx: PageContext, w: ReturnType<typeof trailWords>, h: TrailHop) {
  const ids = [h.messageId === null ? null : `${w.message}: ${h.messageId}`, h.jobId === null ? null : `${w.job}: ${h.jobId}`].filter((x): x is string => x !== null).join(' · ');
  return {
    id: h.journalId, at: formatTime(h.atMs, ctx.lang), route: w.route(h.route), actor: w.actor(h.actor),
    what: `${w.what(h.what)}${h.duplicate ? ` (${w.duplicate})` : ''}`, code: h.errorCode, endpoint: h.endpoint,
    status: h.status === null ? w.noAnswer : String(h.status), ms: h.durationMs,
    text: h.text === null ? '—' : ctx.mask.text(h.text), ids, answer: h.answer === null ? '—' : ctx.mask.text(h.answer),
    cls: [h.ok ? null : 'failed', h.duplicate ? 'duplicate' : null].filter(Boolean).join(' '),
    request: bodyText(ctx, h.request), response: bodyText(ctx, h.response),
  };
}

/** The trail's summary, dialogue and hops; empty when the journal holds nothing of the conversation. */
export function trailView(ctx: PageContext, trail: Trail | null) {
  const w = trailWords(ctx.lang);
  if (!trail) return { summary: [], messages: [], hops: [], hopsNote: ctx.t('Строк журнала нет.', 'No journal rows.') };
  const s = trail.summary;
  const reply = s.firstOperatorReplyMs === null ? w.noReply
    : `${formatTime(s.firstOperatorReplyMs, ctx.lang)}${s.firstClientMessageMs === null ? '' : ` (${w.after} ${formatDuration(s.firstOperatorReplyMs - s.firstClientMessageMs, ctx.lang)})`}`;
  const shown = trail.hops.slice(-HOPS_SHOWN);
  return {
    summary: [
      { label: w.clientMessages, value: String(s.clientMessages) }, { label: w.operatorMessages, value: String(s.operatorMessages) },
      { label: w.firstClient, value: s.firstClientMessageMs === null ? '—' : formatTime(s.firstClientMessageMs, ctx.lang) },
      { label: w.firstReply, value: reply }, { label: w.failedHops, value: String(s.failedHops) },
    ],
    messages: trail.messages.map((m) => messageView(ctx, w, m)),
    hops: shown.map((h) => hopView(ctx, w, h)),
    hopsNote: shown.length < trail.hops.length
      ? ctx.t(`Показаны последние ${shown.length} из ${trail.hops.length} обменов; весь путь — npm run bridge -- journal export ${trail.conversationId}.`,
        `The latest ${shown.length} of ${trail.hops.length} exchanges; the whole trail: npm run bridge -- journal export ${trail.conversationId}.`)
      : ctx.t('Каждая строка — один HTTP-обмен моста с MAX, Битрикс24 или хуком об этом диалоге; тела — как записаны в журнал (секреты убраны, персональные данные замаскированы по политике).',
        'Each row is one HTTP exchange of the bridge with MAX, Bitrix24 or a hook about this conversation; bodies as journaled (secrets removed, personal data masked by the policy).'),
  };
}

export function verdictsView(ctx: PageContext, verdicts: readonly CheckVerdictRow[]) {
  const label = { allow: ctx.t('пропустить', 'allow'), hold: ctx.t('задержать', 'hold'), block: ctx.t('заблокировать', 'block') };
  const source = { answer: ctx.t('ответ проверки', 'check\'s answer'), timeout: ctx.t('нет ответа вовремя', 'timed out'), error: ctx.t('ошибка проверки', 'check failed'), admin: ctx.t('администратор', 'administrator') };
  return [...verdicts].reverse().map((v) => ({
    at: formatTime(v.atMs, ctx.lang), check: v.checkName, verdict: label[v.verdict], cls: v.verdict === 'allow' ? 'ok' : v.verdict === 'hold' ? 'warn' : 'bad',
    source: source[v.source], route: v.route ?? '—', tags: v.tags.join(', ') || '—', note: v.note === null ? '—' : ctx.mask.text(v.note),
  }));
}

/** A portal's address for links into its CRM: the configured `url`, else the domain it installed from. */
function portalBase(portalId: string, portals: readonly PortalSummary[], configured: BridgeConfigData['portals']): string | null {
  const url = configured.find((p) => p.id === portalId)?.url;
  if (url) return url.replace(/\/+$/, '');
  const domain = portals.find((p) => p.id === portalId)?.domain;
  return domain && /^[a-z0-9.-]+(:\d+)?$/i.test(domain) ? `https://${domain}` : null;
}

export function crmView(ctx: PageContext, links: readonly CrmLink[], portals: readonly PortalSummary[], configured: BridgeConfigData['portals']) {
  const state = { pending: ctx.t('в работе', 'pending'), bound: ctx.t('связан', 'bound'), failed: ctx.t('не удалось', 'failed') };
  return links.map((l) => {
    const base = portalBase(l.portalId, portals, configured);
    const item = (kind: 'lead' | 'contact' | 'deal', id: number | null, ru: string, en: string) => (id === null ? [] : [{
      label: `${ctx.t(ru, en)} ${id}`, href: base === null ? null : `${base}/crm/${kind}/details/${id}/`,
    }]);
    return {
      session: l.sessionId, portal: l.portalId, mode: l.mode, state: state[l.state], how: l.how ?? '—', at: formatTime(l.updatedAtMs, ctx.lang),
      items: [...item('lead', l.leadId, 'лид', 'lead'), ...item('contact', l.contactId, 'контакт', 'contact'), ...item('deal', l.dealId, 'сделка', 'deal')],
    };
  });
}
