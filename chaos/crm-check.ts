/**
 * The CRM rules checked end to end (issue 17): a bridge and both emulators over HTTP, many
 * clients writing over several Open Lines sessions each — some returning after their
 * session closed, some sharing a phone, some whose lead is converted midway (or whose deal
 * is won), some on a line whose CRM tracker binds 30 s late — then the portal's CRM is
 * compared with what the route's mode must produce: exactly the expected leads, contacts
 * and deals, none twice, none bound to nothing, each carrying the client's MAX identity
 * (the IMOL value with their MAX user id) and their deep-link source.
 *
 * Used by `npm run crm-check` (chaos/crm-cli.ts, 1,000 sessions of 300 clients per mode) and,
 * bounded, by the test suite (test/e2e/crm-rules.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../bench/child-process.ts';
import { SANDBOX_APP } from '../src/cli/sandbox.ts';
import { configSchema } from '../src/config/schema.ts';
import { systemClock } from '../src/domain/clock.ts';
import { startBridge, type Bridge } from '../src/runtime/start-bridge.ts';
import type { CrmLink } from '../src/store/repos/crm-link-repo.ts';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../emulators/max/index.ts';
import type { CrmEntity } from '../emulators/bitrix24/model.ts';
import { seededRandom } from './run-chaos.ts';

export type CheckedMode = 'line' | 'lead' | 'contact_deal';

export interface CrmCheckOptions {
  mode: CheckedMode;
  /** Open Lines sessions in all (each client has at least one). */
  sessions: number;
  clients: number;
  databaseUrl: string;
  /** The portal's durations scaled: the late line's 30 s and the usual 2 s of the tracker's lag. */
  timeFactor: number;
  /** Clients writing at once. */
  concurrency: number;
  seed: number;
  /** Deadline of one wait (a session bound, closed), ms. */
  waitMs?: number;
  log?: (line: string) => void;
}

export interface CrmCheckResult {
  mode: CheckedMode;
  sessions: number;
  clients: number;
  persons: number;
  expected: { leads: number; contacts: number; deals: number };
  found: { leads: number; contacts: number; deals: number };
  problems: string[];
  seconds: number;
}

const BOTS = [
  { id: 'shop', token: 'crm-check-shop-token-0123456789', userId: 4_100_001 },
  // Its line's CRM tracker binds 30 s (scaled) after the message.
  { id: 'late', token: 'crm-check-late-token-0123456789', userId: 4_100_002 },
];
const LATE_LAG_MS = 30_000;

interface ClientPlan {
  index: number;
  userId: number;
  bot: (typeof BOTS)[number];
  sessions: number;
  phone: string | null;
  /** Shares the phone of this earlier client (they are one person to the CRM); starts after it is done. */
  partnerOf: number | null;
  /** lead/line: the lead is converted (with a deal) after the first session; contact_deal: the deal is won. */
  closesAfterFirst: boolean;
  payload: string | null;
  utmSource: string | null;
}

export function planClients(o: Pick<CrmCheckOptions, 'sessions' | 'clients' | 'seed'>): ClientPlan[] {
  const random = seededRandom(o.seed);
  const plans: ClientPlan[] = [];
  let lastWithPhone: number | null = null;
  for (let i = 0; i < o.clients; i++) {
    const withPhone = random() < 0.4;
    const shares = withPhone && lastWithPhone !== null && random() < 0.25 && plans[lastWithPhone]?.partnerOf === null;
    const phone = shares ? plans[lastWithPhone as number]?.phone ?? null : withPhone ? `+7916${String(1_000_000 + i).slice(-7)}` : null;
    const utmSource = shares ? null : `src${i % 7}`;
    plans.push({
      index: i, userId: 7_300_000 + i, bot: BOTS[i % 5 === 0 ? 1 : 0] as (typeof BOTS)[number], sessions: 1, phone,
      partnerOf: shares ? lastWithPhone : null, closesAfterFirst: false,
      payload: utmSource ? `utm_source=${utmSource}&utm_campaign=c${i % 3}` : null, utmSource,
    });
    if (withPhone && !shares) lastWithPhone = i;
  }
  for (let extra = o.sessions - o.clients; extra > 0; extra--) {
    const plan = plans[Math.floor(random() * plans.length)] as ClientPlan;
    plan.sessions += 1;
  }
  // Partners never close (their person's objects are the first client's).
  for (const p of plans) p.closesAfterFirst = p.sessions > 1 && p.partnerOf === null && !plans.some((q) => q.partnerOf === p.index) && random() < 0.15;
  return plans;
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`crm-check: timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface World {
  max: MaxEmulator;
  b24: Bitrix24Emulator;
  bridge: Bridge;
  lateLineId: number;
}

async function startWorld(o: CrmCheckOptions): Promise<World> {
  const max = await startMaxEmulator({ host: '127.0.0.1', port: 0, bots: BOTS.map((b) => ({ token: b.token, userId: b.userId, name: `Бот ${b.id}` })), attachmentNotReadyMs: 0 });
  const b24 = await startBitrix24Emulator({ host: '127.0.0.1', port: 0, portalPorts: [0], apps: [SANDBOX_APP], timeFactor: o.timeFactor });
  const portal = b24.context.portals[0];
  if (!portal) throw new Error('crm-check: the emulator has no portal');
  // The company's own second line: it creates leads itself, late; the bridge did not make it.
  const late = portal.addLine({ name: 'Поздний CRM', crm: 'Y', crmCreate: 'lead', crmCreateSecond: 'N', crmLagMs: LATE_LAG_MS });
  portal.setLimits({ drainPerSecond: 100, burst: 10_000 });
  portal.bucket.reset();
  const port = await freePort();
  const config = configSchema.parse({
    server: { port, public_url: `http://127.0.0.1:${port}` },
    database: { url: o.databaseUrl },
    security: { secret_key: 'crm-check-secret-key-0123456789abcdef' },
    workers: { line_reorder_window_ms: 0, concurrency: 16 },
    bots: BOTS.map((b) => ({ id: b.id, token: b.token, webhook_secret: `${b.id}_secret`, api_url: max.baseUrl })),
    portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret, limits: { drain_per_second: 100, burst: 10_000 } }],
    crm: { mode: o.mode, ask_phone: true, ask_phone_wait_seconds: 2, verify_timeout_seconds: 120, deal: { category_id: 0, stage_id: 'NEW' } },
    routes: [
      { name: 'late', bot: 'late', to: { portal: 'main', line_id: late.id } },
      { name: 'default', bot: 'shop', to: { portal: 'main' } },
    ],
  });
  const bridge = await startBridge(config, { clock: systemClock });
  await post(`${b24.controlUrl}/portals/0/install`, { clientId: SANDBOX_APP.clientId, handlerUrl: `${bridge.url}/bitrix24/install/main` });
  // Set up: the connector on both lines; a bridge-driven mode switched their own creation off.
  await until('the portal set up', async () => {
    const active = [...portal.lines.values()].filter((l) => l.connectors.size > 0);
    const switched = o.mode === 'line' || active.every((l) => l.crmCreate === 'none');
    return active.length >= 2 && switched ? true : undefined;
  }, o.waitMs ?? 120_000);
  return { max, b24, bridge, lateLineId: late.id };
}

/** The conversation's CRM rows, oldest first. */
async function linksOf(bridge: Bridge, conversationId: string): Promise<CrmLink[]> {
  return (await bridge.store.crmLinks.all()).filter((l) => l.conversationId === conversationId);
}

async function runClient(w: World, o: CrmCheckOptions, plan: ClientPlan, done: Map<number, Promise<void>>): Promise<void> {
  if (plan.partnerOf !== null) await done.get(plan.partnerOf);
  const waitMs = o.waitMs ?? 120_000;
  const user = { user_id: plan.userId, first_name: `Клиент${plan.index}` };
  const maxUrl = w.max.controlUrl;
  const portal = w.b24.context.portals[0]!;
  let conversationId = '';
  for (let k = 1; k <= plan.sessions; k++) {
    if (k === 1) {
      // A partner's first word is their phone (the line finds the person by it); the others start by the deep link.
      if (plan.partnerOf !== null && plan.phone) {
        await post(`${maxUrl}/messages`, { bot_id: plan.bot.userId, user, attachments: [{ type: 'contact', name: user.first_name, phone: plan.phone, user_id: plan.userId }] });
      } else {
        await post(`${maxUrl}/bot-started`, { bot_id: plan.bot.userId, user, payload: plan.payload });
        if (plan.phone) await post(`${maxUrl}/messages`, { bot_id: plan.bot.userId, user, attachments: [{ type: 'contact', name: user.first_name, phone: plan.phone, user_id: plan.userId }] });
      }
    }
    await post(`${maxUrl}/messages`, { bot_id: plan.bot.userId, user, text: `Вопрос ${k} клиента ${plan.index}` });
    if (!conversationId) {
      const chat = await until('the client\'s dialog', () => [...w.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === plan.userId && c.botId === plan.bot.userId), waitMs);
      conversationId = `${plan.bot.id}:${chat.chatId}`;
    }
    const link = await until(`session ${k} of ${conversationId} bound`, async () => {
      const rows = await linksOf(w.bridge, conversationId);
      const failed = rows.find((r) => r.state === 'failed');
      if (failed) throw new Error(`crm-check: session ${failed.sessionId} of ${conversationId} failed to bind`);
      return rows.length === k && rows.every((r) => r.state === 'bound') ? rows[k - 1] : undefined;
    }, waitMs);
    if (k === 1 && plan.closesAfterFirst) {
      if (o.mode === 'contact_deal') {
        const deal = portal.crm.deal.get(link.dealId ?? 0);
        if (deal) Object.assign(deal, { STAGE_ID: 'WON', CLOSED: 'Y' });
      } else if (link.leadId) {
        await post(`${w.b24.controlUrl}/portals/0/crm/lead/${link.leadId}/convert`, { deal: true });
        await until(`the converted lead of ${conversationId} carried`, async () => ((await w.bridge.store.crmLinks.get(conversationId, link.sessionId))?.contactId ? true : undefined), waitMs);
      }
    }
    if (k < plan.sessions) {
      const chat = await until('the line chat', () => [...portal.chats.values()].find((c) => c.externalChatId === conversationId), waitMs);
      await post(`${w.b24.controlUrl}/portals/0/chats/${chat.chatId}/close`, {});
      await until(`${conversationId} released`, async () => ((await w.bridge.store.conversations.get(conversationId as never))?.routeOpen === false ? true : undefined), waitMs);
    }
  }
}

const imolUsers = (entity: CrmEntity): string[] => ((entity.IM as Array<{ VALUE: string; VALUE_TYPE: string }> | undefined) ?? [])
  .filter((v) => v.VALUE_TYPE === 'IMOL').map((v) => v.VALUE.split('|').at(-1) ?? '');

/** Compares the portal's CRM with what the mode must have made. */
async function verify(w: World, o: CrmCheckOptions, plans: ClientPlan[]): Promise<Pick<CrmCheckResult, 'persons' | 'expected' | 'found' | 'problems'>> {
  const portal = w.b24.context.portals[0]!;
  const problems: string[] = [];
  const links = await w.bridge.store.crmLinks.all();
  const persons = plans.filter((p) => p.partnerOf === null);
  const closers = persons.filter((p) => p.closesAfterFirst).length;
  const expected = o.mode === 'contact_deal'
    ? { leads: 0, contacts: persons.length, deals: persons.length + closers }
    : { leads: persons.length, contacts: closers, deals: closers };
  const found = { leads: portal.crm.lead.size, contacts: portal.crm.contact.size, deals: portal.crm.deal.size };
  for (const key of ['leads', 'contacts', 'deals'] as const) {
    if (found[key] !== expected[key]) problems.push(`${key}: ${found[key]} in the CRM, ${expected[key]} expected`);
  }
  const sessions = plans.reduce((n, p) => n + p.sessions, 0);
  if (links.length !== sessions) problems.push(`crm_links: ${links.length} sessions recorded, ${sessions} expected`);
  const unbound = links.filter((l) => l.state !== 'bound');
  if (unbound.length > 0) problems.push(`${unbound.length} session(s) not bound: ${unbound.slice(0, 3).map((l) => `${l.conversationId}#${l.sessionId}`).join(', ')}`);
  // No orphan: every object is some session's.
  const used = { lead: new Set(links.map((l) => l.leadId)), contact: new Set(links.map((l) => l.contactId)), deal: new Set(links.map((l) => l.dealId)) };
  for (const type of ['lead', 'contact', 'deal'] as const) {
    for (const id of portal.crm[type].keys()) if (!used[type].has(id)) problems.push(`orphan ${type} ${id}: no session is bound to it`);
  }
  // Per person: one lead (lead, line) or one contact (contact_deal), with every client's identity and the source.
  const personOf = (p: ClientPlan): ClientPlan => (p.partnerOf === null ? p : plans[p.partnerOf] as ClientPlan);
  const conversationOf = new Map<number, string>();
  for (const p of plans) {
    const chat = [...w.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === p.userId && c.botId === p.bot.userId);
    if (chat) conversationOf.set(p.index, `${p.bot.id}:${chat.chatId}`);
  }
  for (const person of persons) {
    const members = plans.filter((p) => personOf(p) === person);
    const rows = links.filter((l) => members.some((m) => conversationOf.get(m.index) === l.conversationId));
    const main = o.mode === 'contact_deal' ? 'contact' : 'lead';
    const ids = new Set(rows.map((r) => (main === 'lead' ? r.leadId : r.contactId)).filter((x) => x !== null));
    if (ids.size !== 1) {
      problems.push(`client ${person.index}: ${ids.size} ${main}s (${[...ids].join(', ')}), 1 expected`);
      continue;
    }
    const entity = portal.crm[main].get([...ids][0] as number);
    if (!entity) {
      problems.push(`client ${person.index}: its ${main} is gone`);
      continue;
    }
    const identities = imolUsers(entity);
    for (const m of members) if (!identities.includes(String(m.userId))) problems.push(`client ${m.index}: ${main} ${entity.ID} does not carry their MAX user id`);
    const sourced = o.mode === 'contact_deal' ? rows.map((r) => portal.crm.deal.get(r.dealId ?? 0)).filter((d): d is CrmEntity => !!d) : [entity];
    for (const obj of sourced) if (person.utmSource && obj.UTM_SOURCE !== person.utmSource) problems.push(`client ${person.index}: ${obj.ID} has UTM_SOURCE ${String(obj.UTM_SOURCE)}, ${person.utmSource} expected`);
    if (person.closesAfterFirst && o.mode !== 'contact_deal') {
      const contactId = rows.find((r) => r.contactId)?.contactId;
      const contact = contactId ? portal.crm.contact.get(contactId) : undefined;
      if (!contact || !imolUsers(contact).includes(String(person.userId))) problems.push(`client ${person.index}: the converted contact does not carry the MAX user id`);
      const deal = rows.find((r) => r.dealId)?.dealId;
      const dealEntity = deal ? portal.crm.deal.get(deal) : undefined;
      if (person.utmSource && dealEntity?.UTM_SOURCE !== person.utmSource) problems.push(`client ${person.index}: the conversion's deal lost the source`);
    }
  }
  return { persons: persons.length, expected, found, problems };
}

export async function runCrmCheck(o: CrmCheckOptions): Promise<CrmCheckResult> {
  const started = Date.now();
  const plans = planClients(o);
  const w = await startWorld(o);
  try {
    const done = new Map<number, Promise<void>>();
    const queue = [...plans];
    const errors: string[] = [];
    let finished = 0;
    const worker = async () => {
      for (;;) {
        const plan = queue.shift();
        if (!plan) return;
        const run = runClient(w, o, plan, done);
        done.set(plan.index, run.catch(() => undefined));
        try {
          await run;
        } catch (err) {
          errors.push(`client ${plan.index}: ${(err as Error).message}`);
        }
        finished += 1;
        if (finished % 50 === 0) o.log?.(`crm-check[${o.mode}]: ${finished}/${plans.length} clients done`);
      }
    };
    // Partners wait for the client whose phone they share, which is earlier in the queue.
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
    const verdict = await verify(w, o, plans);
    return { mode: o.mode, sessions: o.sessions, clients: o.clients, ...verdict, problems: [...errors, ...verdict.problems], seconds: (Date.now() - started) / 1000 };
  } finally {
    await w.bridge.close();
    await Promise.all([w.max.close(), w.b24.close()]);
  }
}
