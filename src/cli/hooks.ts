/**
 * `npm run bridge -- hooks webhooks | deliveries [--webhook <name>] [--state pending|delivered|failed]
 * [--conversation <id>] [--type <event type>] [--limit N] [--before <id>] [--json]`: the webhooks'
 * delivery log (docs/hooks.md), as the admin API gives it (`GET /admin/hooks/…`). A failed
 * delivery is a dead letter: `npm run bridge -- dead-letters replay <job id>` sends it again.
 */
import { parseArgs } from 'node:util';
import { HOOK_EVENT_TYPES, webhookName } from '../config/hooks-schema.ts';
import { nearestName } from '../config/nearest-name.ts';
import { webhookAddress } from '../hooks/webhook-address.ts';
import { openCliStore } from './cli-store.ts';

export const HOOKS_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- hooks webhooks [--json]',
  '  npm run bridge -- hooks deliveries [--webhook <name>] [--state pending|delivered|failed] [--conversation <id>] [--type <event>] [--limit N] [--before <id>] [--json]',
].join('\n');

const STATES = ['pending', 'delivered', 'failed'] as const;

function fail(problem: string): number {
  console.error(`hooks: ${problem}\n\n${HOOKS_USAGE}`);
  return 2;
}

export async function hooksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    console.log(HOOKS_USAGE);
    return 0;
  }
  if (sub !== 'webhooks' && sub !== 'deliveries') {
    const near = sub === undefined ? undefined : nearestName(sub, ['webhooks', 'deliveries']);
    return fail(`${sub === undefined ? 'which subcommand?' : `unknown subcommand "${sub}"`}; fix: ${near ? `did you mean "hooks ${near}"?` : 'write hooks webhooks or hooks deliveries'}`);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest, strict: true, options: {
        webhook: { type: 'string' }, state: { type: 'string' }, conversation: { type: 'string' }, type: { type: 'string' },
        limit: { type: 'string' }, before: { type: 'string' }, json: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (values.state !== undefined && !(STATES as readonly string[]).includes(values.state)) return fail(`--state ${values.state}: must be pending, delivered or failed`);
  if (values.type !== undefined && !(HOOK_EVENT_TYPES as readonly string[]).includes(values.type)) return fail(`--type ${values.type}: must be one of ${HOOK_EVENT_TYPES.join(', ')}`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) return fail(`--limit ${values.limit}: must be a whole number from 1 to 1000`);
  const before = values.before === undefined ? undefined : Number(values.before);
  if (before !== undefined && (!Number.isInteger(before) || before < 1)) return fail(`--before ${values.before}: must be a delivery id`);
  const opened = await openCliStore('hooks');
  if (!opened.ok) return opened.exitCode;
  const { store, config } = opened;
  try {
    if (sub === 'webhooks') {
      const summary = await store.hooks.summary();
      const names = [...new Set([...config.hooks.webhooks.map((w) => webhookName(w)), ...summary.map((s) => s.webhook)])];
      const rows = names.map((name) => {
        const w = config.hooks.webhooks.find((x) => webhookName(x) === name);
        const count = (state: string) => summary.find((s) => s.webhook === name && s.state === state)?.count ?? 0;
        return { name, url: w ? webhookAddress(w.url) : null, configured: w !== undefined, pending: count('pending'), delivered: count('delivered'), failed: count('failed') };
      });
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) console.log('Вебхуки не настроены (hooks.webhooks). No webhooks configured.');
      else for (const r of rows) console.log(`${r.name}\t${r.url ?? '(нет в настройках / not configured)'}\tожидают/pending ${r.pending}\tдоставлено/delivered ${r.delivered}\tне доставлено/failed ${r.failed}`);
      return 0;
    }
    const rows = await store.hooks.deliveries({ webhook: values.webhook, state: values.state as (typeof STATES)[number] | undefined, conversationId: values.conversation, eventType: values.type, beforeId: before, limit });
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) console.log('Доставок нет. No deliveries.');
    for (const d of rows) {
      console.log([d.id, new Date(d.createdAtMs).toISOString(), d.webhook, d.eventType, d.eventId, d.conversationId ?? '-', d.state, `attempts ${d.attempts}`,
        d.lastStatus ?? '-', d.lastError ?? ''].join('\t'));
    }
    if (rows.length === limit) console.log(`… next page: --before ${rows.at(-1)?.id}`);
    return 0;
  } finally {
    await store.close();
  }
}
