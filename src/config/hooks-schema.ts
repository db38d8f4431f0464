/**
 * The `hooks` section of the configuration (docs/hooks.md): event webhooks the bridge POSTs to
 * the company's systems, and synchronous checks it asks before a new conversation is routed.
 *
 * ```yaml
 * hooks:
 *   webhooks:
 *     - url: https://erp.example.ru/max-events
 *       secret: ${ERP_WEBHOOK_SECRET}
 *       events: [conversation.started, message.inbound, message.outbound, delivery.failed]
 *   checks:
 *     - name: antifraud
 *       url: https://af.example.ru/check
 *       secret: ${ANTIFRAUD_SECRET}
 *       timeout_ms: 800
 *       on_error: allow        # allow | hold | block
 * ```
 */
import { z } from 'zod';
import { checkServiceUrl } from './url-rules.ts';

/** Every event type a webhook may subscribe to (docs/hooks.md, "Events"). */
export const HOOK_EVENT_TYPES = [
  'conversation.started', 'conversation.routed', 'conversation.closed',
  'message.inbound', 'message.outbound', 'message.delivered', 'delivery.failed',
  'crm.linked', 'client.erased',
] as const;
export type HookEventType = (typeof HOOK_EVENT_TYPES)[number];

/** What a check may answer, and what `on_error` may choose. */
export const CHECK_VERDICTS = ['allow', 'hold', 'block'] as const;
export type CheckVerdict = (typeof CHECK_VERDICTS)[number];

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const NAME_HELP = 'must be 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit, e.g. erp';

const notAnObject = (message: string) => ({ error: (issue: { code?: string }) => (issue.code === 'invalid_type' ? message : undefined) });

const hookUrl = z.string({ error: 'must be the receiver\'s address in text, e.g. https://erp.example.ru/max-events' }).superRefine((value, ctx) => {
  const problem = checkServiceUrl(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  else if (new URL(value).username !== '' || new URL(value).password !== '') ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password (the signature authenticates the bridge; put the secret under secret:)' });
});

/** Never echoed in a problem: it is a key. */
const hookSecret = z.string({ error: 'must be a shared secret in text, e.g. secret: ${ERP_WEBHOOK_SECRET}' })
  .min(16, 'is shorter than 16 characters; make one with `openssl rand -hex 32` and give the receiver the same');

export const webhookSchema = z.object({
  /** How the delivery log and the CLI name it; default: the URL's host. */
  name: z.string({ error: NAME_HELP }).regex(NAME_PATTERN, NAME_HELP).optional(),
  url: hookUrl,
  secret: hookSecret,
  /** The event types sent; default: all of them. */
  events: z.array(z.enum(HOOK_EVENT_TYPES, { error: `must be one of ${HOOK_EVENT_TYPES.join(', ')}` }), { error: 'must be a list such as [conversation.started, message.inbound]' })
    .min(1, 'is empty; leave it out to send every event, or name at least one').optional(),
  /** How long one POST may take before it counts as failed (and is retried). */
  timeout_ms: z.number({ error: 'must be a number of milliseconds, e.g. timeout_ms: 10000' }).int().min(100).max(60_000).default(10_000),
  /** Personal data in the events' `data` under the `privacy:` policy (as in the journal); default false: sent as they are. */
  masked: z.boolean({ error: 'must be true or false' }).default(false),
}, notAnObject('must be a webhook such as { url: https://erp.example.ru/max-events, secret: ${ERP_WEBHOOK_SECRET} }')).strict();

export const checkSchema = z.object({
  name: z.string({ error: NAME_HELP }).regex(NAME_PATTERN, NAME_HELP),
  url: hookUrl,
  secret: hookSecret,
  /** How long the bridge waits for the verdict; then `on_error` applies. */
  timeout_ms: z.number({ error: 'must be a number of milliseconds, e.g. timeout_ms: 800' }).int().min(50).max(30_000).default(800),
  on_error: z.enum(CHECK_VERDICTS, { error: 'must be allow (route as if allowed), hold (keep the conversation for review) or block (keep the client out)' }).default('allow'),
  /** Also asked for every later client message of a routed conversation (not only before routing). */
  each_message: z.boolean({ error: 'must be true or false' }).default(false),
  /** What a blocked client is told in MAX (once per conversation); empty: nothing. */
  block_reply: z.string({ error: 'must be text, e.g. block_reply: "Мы не можем принять ваше обращение."' }).max(4_000).default('К сожалению, мы не можем принять ваше обращение в этом чате.'),
  /** What a client whose conversation is held for review is told in MAX (once); empty: nothing. */
  hold_reply: z.string({ error: 'must be text' }).max(4_000).default(''),
}, notAnObject('must be a check such as { name: antifraud, url: https://af.example.ru/check, secret: ${ANTIFRAUD_SECRET} }')).strict();

export const hooksSchema = z.object({
  webhooks: z.array(webhookSchema, { error: 'must be a list of webhooks, e.g. [{ url: https://erp.example.ru/max-events, secret: ... }]' }).default([]),
  checks: z.array(checkSchema, { error: 'must be a list of checks, e.g. [{ name: antifraud, url: https://af.example.ru/check, secret: ... }]' }).default([]),
}, notAnObject('must be a section with webhooks and checks')).strict().prefault({});

export type WebhookConfig = z.output<typeof webhookSchema>;
export type CheckConfig = z.output<typeof checkSchema>;
export type HooksConfig = z.output<typeof hooksSchema>;

/** A webhook's name: its own, else its URL's host (check-config refuses two with one name). */
export function webhookName(webhook: Pick<WebhookConfig, 'name' | 'url'>): string {
  return webhook.name ?? new URL(webhook.url).host.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}

/** The webhooks subscribed to an event type. */
export function webhooksFor(hooks: HooksConfig, type: HookEventType): WebhookConfig[] {
  return hooks.webhooks.filter((w) => w.events === undefined || w.events.includes(type));
}
