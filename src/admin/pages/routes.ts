/**
 * `/admin/ui/routes`: the routes in force (the configuration's `routes`, in the order they are
 * tried), each with its bots, its conditions as written, its targets and fallback; and an
 * "explain" form (GET: it changes nothing) for a sample message — bot, text, start payload,
 * chat type, language, time, tags — answered by the running bridge's routing
 * (AdminRouting.explain, as `POST /admin/routes/explain`): the route, the line and why.
 */
import { normalizeRoutes } from '../../config/route-schema.ts';
import type { RouteShape } from '../../config/route-schema.ts';
import { targetLabel, type RouteRule } from '../../domain/routing/route-rule.ts';
import { routeSampleSchema, type RouteSample } from '../../http/plugins/admin-api.ts';
import { pageUrl, type AdminPage, type PageContext } from '../page.ts';
import { filtersOf } from '../query-href.ts';
import { renderView } from '../render.ts';
import { ROUTES_VIEW } from '../views/routes.ts';

const FORM = ['explain', 'bot', 'text', 'payload', 'chat_type', 'language', 'at', 'tags'] as const;

/** A condition's value as written: a list joined, hours as their parts. */
function conditionText(value: unknown): string {
  if (Array.isArray(value)) return value.map(conditionText).join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} ${conditionText(v)}`).join('; ');
  }
  return String(value);
}

function pickLabel(ctx: PageContext, rule: RouteRule): string | null {
  if (rule.to.length < 2) return null;
  switch (rule.pick) {
    case 'weight': return ctx.t('выбор по весам', 'picked by weight');
    case 'round_robin': return ctx.t('по очереди', 'in turn');
    case 'fewest_open': return ctx.t('меньше всего открытых', 'fewest open');
  }
}

function routeView(ctx: PageContext, rule: RouteRule, shape: RouteShape | undefined) {
  const extras = [
    ...(rule.transform ? [ctx.t(`преобразования: ${Object.keys(rule.transform).join(', ')}`, `transforms: ${Object.keys(rule.transform).join(', ')}`)] : []),
    ...(shape?.crm ? [ctx.t('свои правила CRM', 'own CRM rules')] : []),
  ];
  const lineOf = (t: RouteRule['to'][number]) => (t.lineId === null ? ctx.t(`${t.portalId} (линия портала)`, `${t.portalId} (the portal's line)`) : targetLabel(t));
  return {
    position: rule.position, name: rule.name, isDefault: rule.isDefault,
    bots: rule.bots === '*' ? ctx.t('любой', 'any') : rule.bots.join(', '),
    conditions: Object.entries(shape?.when ?? {}).filter(([, v]) => v !== undefined).map(([key, value]) => ({ key, value: conditionText(value) })),
    targets: rule.to.map((t) => `${lineOf(t)}${rule.to.length > 1 && rule.pick === 'weight' ? ` × ${t.weight}` : ''}`),
    pick: pickLabel(ctx, rule), fallback: rule.fallback ? lineOf(rule.fallback) : '—', extras: extras.join('; ') || '—',
  };
}

/** `2026-12-03 20:00` is Moscow time (as journal searches read it); an ISO time keeps its offset. */
function atParam(value: string): string {
  return /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?$/.test(value) ? `${value.replace(' ', 'T')}+03:00` : value;
}

/** The form as a sample for explain; problems named by field. */
function sampleOf(f: Partial<Record<(typeof FORM)[number], string>>): { sample: RouteSample } | { problems: string[] } {
  const parsed = routeSampleSchema.safeParse({
    bot: f.bot ?? '',
    ...(f.text !== undefined ? { text: f.text } : {}),
    ...(f.payload !== undefined ? { payload: f.payload } : {}),
    ...(f.chat_type !== undefined ? { chat_type: f.chat_type } : {}),
    ...(f.language !== undefined ? { language: f.language } : {}),
    ...(f.at !== undefined ? { at: atParam(f.at) } : {}),
    ...(f.tags !== undefined ? { tags: f.tags.split(/[\s,]+/).filter(Boolean) } : {}),
  });
  if (parsed.success) return { sample: parsed.data };
  return { problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`) };
}

interface ExplainAnswer {
  route?: string | null;
  target?: { portal: string; line_id: number | null } | null;
  line?: string;
  via?: string | null;
  why?: string[];
}

function resultView(ctx: PageContext, answer: ExplainAnswer) {
  const via = answer.via === 'fallback' ? ctx.t('запасная линия', 'the fallback line') : answer.via === 'pick' ? ctx.t('выбрана из нескольких', 'picked among several') : null;
  return {
    headline: answer.route ? ctx.t(`Маршрут: ${answer.route}`, `Route: ${answer.route}`) : ctx.t('Ни один маршрут не подошёл.', 'No route matched.'),
    target: answer.line ?? (answer.target ? targetLabel({ portalId: answer.target.portal, lineId: answer.target.line_id }) : null),
    via, why: answer.why ?? [],
  };
}

export const routesPage: AdminPage = {
  path: 'routes',
  nav: { ru: 'Маршруты', en: 'Routes', order: 40 },
  async get(ctx) {
    const config = ctx.deps.config();
    const shapes = config.routes as RouteShape[];
    const rules = normalizeRoutes(shapes);
    const f = filtersOf(ctx.query, FORM, 10_000);
    const problems: string[] = [];
    let result = null;
    if (f.explain === '1') {
      const checked = sampleOf(f);
      if ('problems' in checked) problems.push(...checked.problems);
      else if (!ctx.deps.routing) problems.push(ctx.t('Объяснение недоступно: мост запущен без маршрутизации.', 'Explain is not available: the bridge runs without routing.'));
      else result = resultView(ctx, (await ctx.deps.routing.explain(checked.sample, ctx.lang)) as ExplainAnswer);
    }
    const bots = config.bots.map((b) => b.id);
    const html = renderView(ROUTES_VIEW, {
      intro: ctx.t('Маршруты пробуются сверху вниз; первый, чьи условия выполнены, направляет новый диалог на линию, и диалог остаётся на ней. Меняются в файле конфигурации (раздел routes).',
        'Routes are tried top to bottom; the first whose conditions all hold sends a new conversation to its line, where it stays. They are changed in the configuration file (routes).'),
      w: {
        noRoutes: ctx.t('Маршрутов нет: новым диалогам некуда идти.', 'No routes: new conversations have nowhere to go.'),
        name: ctx.t('Маршрут', 'Route'), bots: ctx.t('Боты', 'Bots'), when: ctx.t('Условия', 'Conditions'), to: ctx.t('Линии', 'Lines'),
        fallback: ctx.t('Запасная', 'Fallback'), extras: ctx.t('Ещё', 'Also'), default: ctx.t('по умолчанию', 'default'), noConditions: ctx.t('без условий', 'no conditions'),
        explainTitle: ctx.t('Куда пойдёт сообщение', 'Where would a message go'),
        explainIntro: ctx.t('Пример первого сообщения нового диалога: мост отвечает, какой маршрут и какая линия его возьмут и почему. Ничего не отправляется.',
          'A sample first message of a new conversation: the bridge answers which route and line take it, and why. Nothing is sent.'),
        bot: ctx.t('Бот', 'Bot'), text: ctx.t('Текст', 'Text'), payload: ctx.t('start payload', 'start payload'), chatType: ctx.t('Тип чата', 'Chat type'),
        language: ctx.t('Язык', 'Language'), at: ctx.t('Время (МСК)', 'Time (Moscow)'), tags: ctx.t('Метки', 'Tags'), explain: ctx.t('Объяснить', 'Explain'),
        target: ctx.t('Линия', 'Line'),
      },
      routes: rules.map((rule, i) => routeView(ctx, rule, shapes[i])),
      action: pageUrl('routes'),
      bots: bots.map((value) => ({ value, selected: value === (f.bot ?? bots[0]) })),
      chatTypes: [['dialog', ctx.t('диалог с ботом', 'dialog with the bot')], ['chat', ctx.t('групповой чат', 'group chat')]].map(([value, label]) => ({ value, label, selected: value === (f.chat_type ?? 'dialog') })),
      form: { text: f.text ?? '', payload: f.payload ?? '', language: f.language ?? '', at: f.at ?? '', tags: f.tags ?? '' },
      problems, result,
    });
    return { title: ctx.t('Маршруты', 'Routes'), html };
  },
};
