/**
 * The `crm` section of the configuration (docs/crm.md): at the top level the defaults for
 * every route, on a route its own policy; a route's keys override the defaults key by key.
 * `crmPolicyFor` turns the two into the engine's CrmPolicy (src/domain/crm/crm-policy.ts).
 */
import { z } from 'zod';
import { CRM_MODES, NO_CRM, UTM_FIELDS, type CrmPolicy, type PayloadSource, type UtmField } from '../domain/crm/crm-policy.ts';
import { compilePattern } from '../domain/routing/route-patterns.ts';

const MODE_HELP = 'must be line (the Open Line creates the lead or deal, the bridge checks it), lead (the bridge keeps one lead per client), contact_deal (a contact and a deal) or none';

const notAnObject = (message: string) => ({ error: (issue: { code?: string }) => (issue.code === 'invalid_type' ? message : undefined) });

const sourceCode = z.string({ error: 'must be a CRM source code in text, e.g. source_id: ADVERTISING' })
  .regex(/^[A-Za-z0-9_|-]{1,50}$/, 'must be a CRM source code (letters, digits, _ - |; at most 50), e.g. ADVERTISING or a code from CRM → Settings → Sources');
const utmValue = z.string({ error: 'must be text, e.g. utm_source: vk' }).min(1).max(255);

const payloadRegex = z.string({ error: 'must be a regular expression in quotes, e.g. payload: "^vk_"' }).superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'is empty, which would match anything; write a regular expression such as "^vk_"' });
  else {
    const compiled = compilePattern(value, 'start_payload');
    if (!(compiled instanceof RegExp)) ctx.addIssue({ code: 'custom', message: `is not a valid regular expression (${compiled.problem})` });
  }
});

const sourceSchema = z.object({
  payload: payloadRegex,
  source_id: sourceCode,
  utm_source: utmValue.optional(),
  utm_medium: utmValue.optional(),
  utm_campaign: utmValue.optional(),
  utm_content: utmValue.optional(),
  utm_term: utmValue.optional(),
}, notAnObject('must be a mapping such as { payload: "^vk_", source_id: ADVERTISING, utm_source: vk }')).strict();

const dealSchema = z.object({
  category_id: z.number({ error: 'must be the number of a deal pipeline (CATEGORY_ID), e.g. category_id: 0 (the general one)' }).int().min(0).optional(),
  stage_id: z.string({ error: 'must be a deal stage id in text, e.g. stage_id: "NEW" or "C2:NEW"' }).regex(/^[A-Za-z0-9_:]{1,50}$/, 'must be a deal stage id such as NEW or C2:NEW').optional(),
}, notAnObject('must be a section such as deal: { category_id: 0, stage_id: "NEW" }')).strict();

/** What a route may write under `crm:` (every key optional: the top-level `crm:` fills the rest). */
export const routeCrmSchema = z.object({
  mode: z.enum(CRM_MODES, { error: MODE_HELP }).optional(),
  deal: dealSchema.optional(),
  ask_phone: z.boolean({ error: 'must be true or false' }).optional(),
  source_from_payload: z.boolean({ error: 'must be true or false' }).optional(),
  sources: z.array(sourceSchema, { error: 'must be a list such as [{ payload: "^vk_", source_id: ADVERTISING }]' }).optional(),
}, notAnObject('must be a section such as crm: { mode: lead }')).strict();

const phoneText = z.string({ error: 'must be a phone number in quotes, e.g. "+7 495 123-45-67"' }).superRefine((value, ctx) => {
  const digits = value.replace(/\D/g, '').length;
  if (digits < 10 || digits > 15) ctx.addIssue({ code: 'custom', message: `"${value}" is not a phone number (10–15 digits); write it as "+7 495 123-45-67"` });
});

/** The top-level `crm:` section: defaults for every route, and what applies to all. */
export const crmDefaultsSchema = routeCrmSchema.extend({
  /** The business's own numbers: a shared contact with one of them never matches a client. */
  own_phones: z.array(phoneText, { error: 'must be a list of phone numbers, e.g. ["+7 495 123-45-67"]' }).default([]),
  /** How long the bridge waits for a line to bind a conversation to its CRM object before it gives up (dead letter and a notice in the line). */
  verify_timeout_seconds: z.number({ error: 'must be a number of seconds, e.g. verify_timeout_seconds: 300' }).int().min(10).max(86_400).default(300),
  /** With ask_phone: how long a new client's first CRM step waits for the phone before it goes on without one. */
  ask_phone_wait_seconds: z.number({ error: 'must be a number of seconds, e.g. ask_phone_wait_seconds: 60' }).int().min(0).max(3_600).default(60),
}).strict().prefault({});

export type RouteCrmShape = z.output<typeof routeCrmSchema>;
export type CrmDefaultsShape = z.output<typeof crmDefaultsSchema>;

/**
 * The default mode when neither the route nor the top level names one: none — an upgrade never
 * starts writing into a company's CRM by itself; `line` is what config/example.yaml recommends.
 */
export const DEFAULT_CRM_MODE = 'none';

function sourcesOf(list: NonNullable<RouteCrmShape['sources']>): PayloadSource[] {
  return list.map((s) => {
    const utm: Partial<Record<UtmField, string>> = {};
    for (const field of UTM_FIELDS) {
      const value = s[field.toLowerCase() as Lowercase<UtmField>];
      if (value !== undefined) utm[field] = value;
    }
    const payload = compilePattern(s.payload, 'start_payload');
    return { payload: payload instanceof RegExp ? payload : /$^/, sourceId: s.source_id, utm };
  });
}

/** The policy of a route: its own keys over the top-level defaults. */
export function crmPolicyFor(route: RouteCrmShape | undefined, defaults: CrmDefaultsShape): CrmPolicy {
  const mode = route?.mode ?? defaults.mode ?? DEFAULT_CRM_MODE;
  if (mode === 'none') return NO_CRM;
  const deal = { ...defaults.deal, ...route?.deal };
  return {
    mode,
    deal: { categoryId: deal.category_id ?? 0, stageId: deal.stage_id ?? (deal.category_id ? `C${deal.category_id}:NEW` : 'NEW') },
    askPhone: route?.ask_phone ?? defaults.ask_phone ?? false,
    sourceFromPayload: route?.source_from_payload ?? defaults.source_from_payload ?? true,
    sources: sourcesOf(route?.sources ?? defaults.sources ?? []),
  };
}
