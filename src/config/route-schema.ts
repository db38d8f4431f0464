/**
 * The schema of one route as the operator writes it (snake_case YAML, zod 4), and
 * `normalizeRoutes`, which turns the parsed list into the engine's rules
 * (src/domain/routing/route-rule.ts): names filled, regexes compiled, hours parsed.
 *
 * Two shapes parse. The current one names its target(s) under `to` and may add `when`,
 * `pick`, `fallback` and `transform`; the first one (`- bot: a`, `portal: main`,
 * `line_id: 7`) still does and means `to: { portal: main, line_id: 7 }`. Writing both
 * in one route is refused. A missing line_id means the portal's own line.
 *
 * Every message here is shown by check-config after the key's path: it says what is
 * wrong and what to write instead. Checks that need more than one route, or the bots
 * and portals (unknown ids, no default route, unreachable routes), are `checkRoutes`.
 */
import { z } from 'zod';
import { BridgeError } from '../domain/errors.ts';
import { BAD_ROUTE, type RouteConditions, type RouteRule, type RouteTarget, type RouteTransformConfig } from '../domain/routing/route-rule.ts';
import { compilePattern, isLanguageTag, type PatternKind } from '../domain/routing/route-patterns.ts';
import { tagProblem } from '../domain/routing/conversation-tags.ts';
import { parseWorkingHours, type WorkingHours } from '../domain/routing/working-hours.ts';
import { routeCrmSchema } from './crm-schema.ts';
import { ATTACHMENT_NOTICE_PLACEHOLDERS } from '../domain/transform/attachment-rules.ts';
import { CARD_PLACEHOLDERS, PREFIX_PLACEHOLDERS, validateTemplate } from '../domain/transform/template.ts';

export { checkRoutes, type ConfiguredIds, type RouteProblem } from '../domain/routing/check-routes.ts';
export type { RouteTransformConfig } from '../domain/routing/route-rule.ts';

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const ID_RULE = '1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit';

/** A string that `problemOf` accepts (null) or refuses with a message; `typeError` when it is not text. */
function checkedText(typeError: string, problemOf: (value: string) => string | null) {
  return z.string({ error: typeError }).superRefine((value, ctx) => {
    const problem = problemOf(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function idText(what: string, example: string) {
  return checkedText(`must be ${what} in text, e.g. ${example}`, (v) => (ID.test(v) ? null : `"${v}" is not ${what}: write ${ID_RULE}, e.g. ${example}`));
}

/** A non-empty list, with a message that says how to write one. */
function listOf<T extends z.ZodType>(item: T, example: string) {
  return z.array(item, { error: `must be a list, e.g. ${example}` }).superRefine((items, ctx) => {
    if (items.length === 0) ctx.addIssue({ code: 'custom', message: `is an empty list; write at least one entry, e.g. ${example}, or remove the key` });
  });
}

/**
 * The two forms of each one-or-list key, so that the key walk (src/config/schema-keys.ts)
 * sees the keys inside them (`to.portal`, `to[].weight`): the transform hides them from zod.
 */
export const oneOrListForms = new WeakMap<z.ZodType, { one: z.ZodType; list: z.ZodType }>();

/**
 * One value or a list of them. Not a z.union: a union reports "invalid input" for the
 * whole key, where this checks the form that was written and reports its own issues at
 * their own paths (`to[1].portal`).
 */
function oneOrList<O extends z.ZodType, L extends z.ZodType>(one: O, list: L) {
  const schema = z.unknown().transform((value, ctx): z.output<O> | z.output<L> => {
    const result = (Array.isArray(value) ? list : one).safeParse(value);
    if (result.success) return result.data as z.output<O> | z.output<L>;
    for (const issue of result.error.issues) ctx.addIssue(issue as z.core.$ZodRawIssue);
    return z.NEVER;
  });
  oneOrListForms.set(schema, { one, list });
  return schema;
}

function wholeNumber(typeError: string, min: number, tooSmall: string) {
  return z.number({ error: typeError }).superRefine((n, ctx) => {
    if (!Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `is ${n}, not a whole number; ${typeError}` });
    else if (n < min) ctx.addIssue({ code: 'custom', message: tooSmall });
  });
}

function plainText(maxChars: number, example: string, placeholders?: readonly string[]) {
  return checkedText(`must be text, e.g. ${example}`, (v) => {
    if (v.trim() === '') return `is empty; write text, e.g. ${example}, or remove the key`;
    if (v.length > maxChars) return `is ${v.length} characters long, more than ${maxChars}; shorten it`;
    // A template: its {{placeholders}} must be ones it can fill (src/domain/transform/template.ts).
    const problems = placeholders ? validateTemplate(v, placeholders) : [];
    return problems.length > 0 ? problems.join('; ') : null;
  });
}

function patternText(kind: PatternKind, example: string) {
  return checkedText(`must be a regular expression in quotes, e.g. ${kind}: "${example}"`, (v) => {
    if (v === '') return `is empty, which would match anything; write a regular expression such as "${example}", or remove the condition`;
    const compiled = compilePattern(v, kind);
    if (compiled instanceof RegExp) return null;
    return `is not a valid regular expression (${compiled.problem}); fix: close every group and escape a literal ( ) [ ] . * + ? with a backslash, in single quotes in YAML (e.g. '\\(vip\\)')`;
  });
}

const botOrAny = checkedText('must be a bot id from bots or "*" (any bot), e.g. bot: sales', (v) =>
  v === '*' || ID.test(v) ? null : `"${v}" is not a bot id: write a bot id from bots (${ID_RULE}), "*" for any bot, or a list of bot ids`);
const portalId = idText('a portal id from portals', 'portal: msk');
const lineId = wholeNumber('must be the number of an Open Line on that portal, e.g. line_id: 3', 1, 'must be 1 or more: the number of an Open Line on that portal, e.g. line_id: 3');
const weight = wholeNumber('must be a whole number, e.g. weight: 3', 1, 'must be 1 or more (a share relative to the other targets, e.g. 3 and 1 send three quarters to the first)');

/** Only "not an object" gets its own message; the other issues keep theirs. */
const notAnObject = (message: string) => ({ error: (issue: { code?: string }) => (issue.code === 'invalid_type' ? message : undefined) });
const TARGET_TYPE = 'must be a target such as { portal: msk, line_id: 3 }, or a list of them';

const targetSchema = z.object({ portal: portalId, line_id: lineId.optional() }, notAnObject(TARGET_TYPE)).strict();
const fallbackSchema = z.object({ portal: portalId, line_id: lineId.optional() }, notAnObject('must be one target such as { portal: spb, line_id: 2 }')).strict();
const weightedTargetSchema = z.object({ portal: portalId, line_id: lineId.optional(), weight: weight.optional() }, notAnObject('must be a target such as { portal: msk, line_id: 1, weight: 3 }')).strict();

const chatType = z.enum(['dialog', 'chat'], { error: 'must be dialog (one-to-one with the bot) or chat (a group chat)' });
const languageTag = checkedText('must be a language tag in text, e.g. language: ru', (v) =>
  isLanguageTag(v) ? null : `"${v}" is not a language tag; write a BCP 47 tag such as ru, en or ru-RU`);
const substring = plainText(1_000, 'text_contains: жалоба');
const tagText = checkedText('must be a tag in text, e.g. tags: vip', (v) => {
  const problem = tagProblem(v);
  return problem === null ? null : `"${v}" ${problem}; write a tag a check gives, e.g. vip or erp:gold`;
});
const dayItem = z.string({ error: 'must be text such as "mon-fri" or a list such as [mon, wed, fri]' });

export const hoursSchema = z.object({
  days: oneOrList(dayItem, listOf(dayItem, '[mon, tue, wed]')),
  from: z.string({ error: 'must be a time in quotes, e.g. from: "09:00"' }),
  to: z.string({ error: 'must be a time in quotes, e.g. to: "18:00"' }),
  time_zone: z.string({ error: 'must be an IANA time zone name in text, e.g. time_zone: Europe/Moscow' }).optional(),
  holidays: listOf(z.string({ error: 'must be a date in quotes, e.g. "2026-01-01"' }), '["2026-01-01", "2026-01-02"]').optional(),
}, notAnObject('must be hours such as { days: mon-fri, from: "09:00", to: "18:00" }')).strict().superRefine((hours, ctx) => {
  const parsed = parseWorkingHours(hours);
  if (!parsed.ok) for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

export const whenSchema = z.object({
  chat_type: oneOrList(chatType, listOf(chatType, '[dialog, chat]')).optional(),
  start_payload: patternText('start_payload', '^vip_').optional(),
  text: patternText('text', '(жалоб|претензи)').optional(),
  text_contains: oneOrList(substring, listOf(substring, '[жалоба, претензия]')).optional(),
  language: oneOrList(languageTag, listOf(languageTag, '[ru, uk]')).optional(),
  hours: hoursSchema.optional(),
  outside_hours: hoursSchema.optional(),
  /** Tags a check gave the conversation (docs/hooks.md, "Checks"); any one of them holds. */
  tags: oneOrList(tagText, listOf(tagText, '[vip, gold]')).optional(),
}, notAnObject('must be a section of conditions, e.g. when: { start_payload: "^vip_" }')).strict();

const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file', 'sticker', 'location', 'contact'] as const;

const modulePath = checkedText('must be a file path in text, e.g. module: ./hooks/transform.mjs', (v) => {
  if (/^[a-z][a-z0-9+.-]*:/i.test(v)) return `"${v}" is a URL; write a file path such as ./hooks/transform.mjs`;
  return /^(\.{1,2}\/|\/)\S/.test(v) ? null : `"${v}" is not a file path; start it with ./ (relative) or / (absolute), e.g. ./hooks/transform.mjs`;
});

export const transformSchema = z.object({
  card: plainText(1_000, 'card: "{{name}} · {{route}}"', CARD_PLACEHOLDERS).optional(),
  prefix: plainText(200, 'prefix: "[VIP] "', PREFIX_PLACEHOLDERS).optional(),
  outbound_prefix: plainText(200, 'outbound_prefix: "Оператор: "', PREFIX_PLACEHOLDERS).optional(),
  module: modulePath.optional(),
  attachments: z.object({
    max_bytes: wholeNumber('must be a number of bytes, e.g. max_bytes: 10485760 (10 MiB)', 1, 'must be 1 or more bytes, e.g. max_bytes: 10485760 (10 MiB)').optional(),
    allowed_types: listOf(z.enum(ATTACHMENT_TYPES, { error: `must be one of ${ATTACHMENT_TYPES.join(', ')}` }), '[image, file]').optional(),
    instead_text: plainText(1_000, 'instead_text: "Файл не передан"', ATTACHMENT_NOTICE_PLACEHOLDERS).optional(),
  }, notAnObject('must be a section, e.g. attachments: { allowed_types: [image, file] }')).strict().optional(),
}, notAnObject('must be a section, e.g. transform: { prefix: "[VIP] " }')).strict();

// The schema and the engine's type must describe the same object.
const _transformFits = (parsed: z.output<typeof transformSchema>): RouteTransformConfig => parsed;

const BOTH_TARGETS = 'the target is written twice: `to` and the top-level `portal`/`line_id` (the first config shape); fix: keep only to: { portal: <portal id>, line_id: <line number> }';

export const routeSchema = z.object({
  name: idText('a route name', 'name: vip').optional(),
  bot: oneOrList(botOrAny, listOf(idText('a bot id from bots', 'sales'), '[sales, support]')).optional(),
  when: whenSchema.optional(),
  /** The first config shape: the target at the top level. */
  portal: portalId.optional(),
  line_id: lineId.optional(),
  to: oneOrList(targetSchema, listOf(weightedTargetSchema, '[{ portal: msk, line_id: 1, weight: 3 }, { portal: spb, line_id: 1 }]')).optional(),
  pick: z.enum(['weight', 'round_robin', 'fewest_open'], { error: 'must be weight (by the targets\' weights; the default), round_robin (in turn) or fewest_open (fewest open conversations)' }).optional(),
  fallback: fallbackSchema.optional(),
  transform: transformSchema.optional(),
  /** What the bridge does in the CRM for this route's conversations (crm-schema.ts); the top-level `crm:` fills what is not written. */
  crm: routeCrmSchema.optional(),
}, notAnObject('must be a route: a section with to: { portal: <portal id>, line_id: <line number> } (see config/example.yaml)')).strict().superRefine((route, ctx) => {
  if (route.to !== undefined && (route.portal !== undefined || route.line_id !== undefined)) {
    ctx.addIssue({ code: 'custom', message: BOTH_TARGETS, path: [route.portal !== undefined ? 'portal' : 'line_id'] });
  } else if (route.to === undefined && route.portal === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: route.line_id === undefined ? ['to'] : ['portal'],
      message: route.line_id === undefined
        ? 'is missing, so the route sends conversations nowhere; fix: write to: { portal: <portal id>, line_id: <line number> }'
        : 'is missing: line_id names a line but not its portal; fix: write to: { portal: <portal id>, line_id: <line number> }',
    });
  }
});

export type RouteShape = z.output<typeof routeSchema>;
export type RouteShapeInput = z.input<typeof routeSchema>;

/** A route's name: as written, else `route-<n>` from its 1-based place. */
export function routeName(route: Pick<RouteShape, 'name'>, index: number): string {
  return route.name ?? `route-${index + 1}`;
}

/** The list of routes, with names unique across it (a written name may clash with a default `route-<n>`). */
export const routesSchema = z.array(routeSchema).superRefine((routes, ctx) => {
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    const name = routeName(route, i);
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${name}" is already the name of routes[${first}]; fix: give each route its own name` });
  });
});

const asList = <T>(value: T | T[] | undefined): T[] | null => (value === undefined ? null : Array.isArray(value) ? value : [value]);

function compiled(source: string | undefined, kind: PatternKind, name: string): RegExp | null {
  if (source === undefined) return null;
  const result = compilePattern(source, kind);
  if (result instanceof RegExp) return result;
  throw new BridgeError(BAD_ROUTE, `route ${name}: when.${kind} ${result.problem}`, { retryable: false });
}

function hours(spec: NonNullable<RouteShape['when']>['hours'], name: string): WorkingHours | null {
  if (spec === undefined) return null;
  const parsed = parseWorkingHours(spec);
  if (parsed.ok) return parsed.hours;
  throw new BridgeError(BAD_ROUTE, `route ${name}: ${parsed.problems.map((p) => `${p.path.join('.')} ${p.message}`).join('; ')}`, { retryable: false });
}

function conditionsOf(when: RouteShape['when'], name: string): RouteConditions {
  return {
    chatTypes: asList(when?.chat_type),
    startPayload: compiled(when?.start_payload, 'start_payload', name),
    text: compiled(when?.text, 'text', name),
    textContains: asList(when?.text_contains),
    languages: asList(when?.language),
    hours: hours(when?.hours, name),
    outsideHours: hours(when?.outside_hours, name),
    tags: asList(when?.tags),
  };
}

const targetOf = (t: { portal: string; line_id?: number | undefined; weight?: number | undefined }): RouteTarget =>
  ({ portalId: t.portal, lineId: t.line_id ?? null, weight: t.weight ?? 1 });

/**
 * The parsed routes (routesSchema's output, in config order) as the engine's rules.
 * Throws BRG_ERR_BAD_ROUTE for a route the schema would have refused.
 */
export function normalizeRoutes(routes: readonly RouteShape[]): RouteRule[] {
  return routes.map((route, index) => {
    const name = routeName(route, index);
    const when = conditionsOf(route.when, name);
    let targets: RouteTarget[];
    if (route.to !== undefined) targets = (Array.isArray(route.to) ? route.to : [route.to]).map(targetOf);
    else if (route.portal !== undefined) targets = [targetOf({ portal: route.portal, line_id: route.line_id })];
    else throw new BridgeError(BAD_ROUTE, `route ${name} has no target (neither to nor portal)`, { retryable: false });
    const bots = route.bot === undefined || route.bot === '*' ? '*' : asList(route.bot) ?? '*';
    return {
      name,
      position: index + 1,
      bots,
      when,
      to: targets,
      pick: route.pick ?? 'weight',
      fallback: route.fallback ? targetOf(route.fallback) : null,
      transform: route.transform ?? null,
      isDefault: Object.values(when).every((condition) => condition === null),
      targetForm: route.to === undefined ? 'portal' : Array.isArray(route.to) ? 'list' : 'object',
    };
  });
}
