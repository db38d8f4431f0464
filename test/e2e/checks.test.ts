/**
 * Synchronous checks end to end (docs/hooks.md, "Checks"): a bridge and both emulators over
 * HTTP, and a check service of our own on loopback that verifies every request's signature and
 * answers by a script per client. Shown:
 * - an anti-fraud check that blocks keeps the client out of every line (updates skipped, the
 *   block reply once), other clients unaffected; a per-message check blocks from that message on;
 * - a check that times out follows its `on_error` (allow: routed, recorded `timeout`; block;
 *   hold), and while one client's check hangs another conversation's messages go through;
 * - hold, then release (admin API, CLI): the held messages reach the line in order;
 * - a verdict's route, its tags (a `when.tags` route, the operator's line), an unknown route;
 * - every verdict recorded; the admin API refuses without its token; routing hook events carry
 *   the tags and the verdicts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { verifySignature } from '../../src/hooks/signature.ts';
import { bridgeWorldFor } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';

const ADMIN = 'checks-admin-token-0123456789abcdef';
const SECRETS = { antifraud: 'antifraud-secret-0123456789abcdef', erp: 'erp-secret-0123456789abcdef', strict: 'strict-secret-0123456789abcdef', events: 'events-secret-0123456789abcdef' } as const;
const BLOCK_REPLY = 'Мы не можем принять ваше обращение.';
const HOLD_REPLY = 'Ваше обращение на проверке, ответим позже.';

const USERS = {
  normal: 920_010, blocked: 920_001, held: 920_002, hang: 920_003, slowErp: 920_004, strictSlow: 920_005,
  routeVip: 920_006, tagged: 920_007, fraudLater: 920_008, unknownRoute: 920_009, adminBlocked: 920_011,
} as const;

interface Received {
  path: string;
  eventId: string;
  body: Record<string, unknown>;
  signatureOk: boolean;
  atMs: number;
}

/** The check service: verifies each signature, answers by the client and the check. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const answer = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? '';
      const name = path.slice(1) as keyof typeof SECRETS;
      const signatureOk = verifySignature(req.headers['x-bridge-signature'] as string | undefined, raw, SECRETS[name] ?? 'none', Math.floor(Date.now() / 1000)).ok;
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      received.push({ path, eventId: String(req.headers['x-bridge-event-id'] ?? ''), body, signatureOk, atMs: Date.now() });
      if (!signatureOk) return void res.writeHead(401).end();
      if (name === 'events') return void res.writeHead(204).end();
      const user = Number((body.client as { max_user_id?: string }).max_user_id);
      const text = String((body.message as { text?: string } | null)?.text ?? '');
      // Never answers: the bridge gives up after timeout_ms (the timer only frees the socket).
      const hang = (ms: number, then: unknown) => {
        const timer = setTimeout(() => answer(res, then), ms);
        res.on('close', () => clearTimeout(timer));
      };
      if (name === 'antifraud') {
        if (user === USERS.blocked) return answer(res, { verdict: 'block', note: 'номер в стоп-листе' });
        if (user === USERS.held) return answer(res, { verdict: 'hold', note: 'нужна ручная проверка' });
        if (user === USERS.hang) return hang(10_000, { verdict: 'allow' });
        if (user === USERS.routeVip) return answer(res, { verdict: 'allow', route: 'vip' });
        if (user === USERS.unknownRoute) return answer(res, { verdict: 'allow', route: 'nope' });
        if (user === USERS.tagged) return answer(res, { verdict: 'allow', tags: ['gold', 'new'], note: 'постоянный клиент с 2019 года' });
        if (text.includes('fraud!')) return answer(res, { verdict: 'block', note: 'мошенническая ссылка' });
        return answer(res, { verdict: 'allow', extra: 'ignored' });
      }
      if (name === 'erp' && user === USERS.slowErp) return hang(1_500, { verdict: 'allow', tags: ['late'] });
      if (name === 'strict' && user === USERS.strictSlow) return hang(1_500, { verdict: 'allow' });
      return answer(res, { verdict: 'allow' });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received });
  }));
}

for (const engine of testEngines()) {
  describe(`synchronous checks (${engine.name})`, () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    before(async () => {
      receiver = await startReceiver();
    });
    after(async () => {
      receiver.server.closeAllConnections();
      await new Promise((resolve) => receiver.server.close(resolve));
    });
    const world = bridgeWorldFor(engine, {
      config: async (sandbox, port) => {
        for (const name of ['VIP', 'Постоянные']) await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/lines`, { name });
        return {
          server: { port, public_url: `http://127.0.0.1:${port}` },
          security: { secret_key: 'checks-e2e-secret-key-0123456789', admin_token: ADMIN },
          workers: { line_reorder_window_ms: 0 },
          bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
          portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
          routes: [
            { name: 'vip', when: { text_contains: 'никогда-не-пишут' }, to: { portal: 'main', line_id: 2 } },
            { name: 'regulars', when: { tags: 'gold' }, to: { portal: 'main', line_id: 3 } },
            { name: 'default', to: { portal: 'main', line_id: 1 } },
          ],
          hooks: {
            webhooks: [{ name: 'events', url: `${receiver.url}/events`, secret: SECRETS.events, events: ['conversation.started', 'conversation.routed'] }],
            checks: [
              { name: 'antifraud', url: `${receiver.url}/antifraud`, secret: SECRETS.antifraud, timeout_ms: 3_000, on_error: 'hold', each_message: true, block_reply: BLOCK_REPLY, hold_reply: HOLD_REPLY },
              { name: 'erp', url: `${receiver.url}/erp`, secret: SECRETS.erp, timeout_ms: 300, on_error: 'allow' },
              { name: 'strict', url: `${receiver.url}/strict`, secret: SECRETS.strict, timeout_ms: 300, on_error: 'block', block_reply: BLOCK_REPLY },
            ],
          },
        };
      },
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const chatIds = new Map<number, number>();
    const conversationOf = (user: number) => `shop:${chatIds.get(user)}`;
    const write = async (user: number, text: string) => {
      const { message } = await postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: user, first_name: 'Клиент', last_name: String(user) }, text }) as { message: { recipient: { chat_id: number } } };
      chatIds.set(user, message.recipient.chat_id);
    };
    /** Texts of the line's messages in the Open Lines chat of this client's conversation, in order. */
    const chatTexts = (user: number) => [...portal().chats.values()].filter((c) => c.externalChatId === conversationOf(user))
      .flatMap((c) => c.messageIds.map((id) => portal().messages.get(id)?.text ?? ''));
    const lineOfText = (text: string) => [...portal().chats.values()].find((c) => c.messageIds.some((id) => portal().messages.get(id)?.text.includes(text)))?.lineId;
    const delivered = (text: string) => until(() => lineOfText(text), 30_000);
    const botMessages = (user: number) => [...world().sandbox.max.world.messages.values()]
      .filter((m) => m.fromBot && m.message.recipient.user_id === user).map((m) => m.message.body.text ?? '');
    const admin = (method: string, path: string, body?: unknown, token: string | null = ADMIN) => fetch(`${world().bridge.url}${path}`, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const verdicts = async (user: number) => {
      const res = await admin('GET', `/admin/conversations/${conversationOf(user)}/verdicts`);
      assert.equal(res.status, 200, await res.clone().text());
      return await res.json() as { gate: { verdict: string; check: string } | null; tags: string[]; verdicts: Array<{ check: string; verdict: string; source: string; route: string | null; tags: string[]; note: string | null; at_ms: number }> };
    };
    const skipped = async () => {
      const res = await admin('GET', '/admin/skipped-updates?reason=blocked_by_check');
      return (await res.json() as { skipped_updates: Array<{ raw: string }> }).skipped_updates;
    };
    const skippedOf = async (user: number) => (await skipped()).filter((s) => s.raw.includes(`"user_id":${user}`)).length;

    test('a blocking check keeps the client out of every line; the client is told once; others go through', async () => {
      await write(USERS.normal, 'обычный вопрос');
      await write(USERS.blocked, 'blocked-1');
      await write(USERS.blocked, 'blocked-2');
      assert.equal(await delivered('обычный вопрос'), 1);
      await until(async () => ((await skippedOf(USERS.blocked)) === 2 ? true : undefined));
      assert.equal(lineOfText('blocked-'), undefined, 'nothing of the blocked client in any line');
      assert.deepEqual(chatTexts(USERS.blocked), []);
      assert.deepEqual(botMessages(USERS.blocked), [BLOCK_REPLY], 'the block reply, once');
      const v = await verdicts(USERS.blocked);
      assert.equal(v.gate?.verdict, 'block');
      assert.deepEqual(v.verdicts.map((x) => [x.check, x.verdict, x.source, x.note]), [['antifraud', 'block', 'answer', 'номер в стоп-листе']], 'asked once; the later checks not');
      assert.deepEqual(botMessages(USERS.normal), [], 'the other client is told nothing');
    });

    test('a check that hangs holds only its own conversation (on_error hold); released, its messages go in order', async () => {
      await write(USERS.hang, 'hang-1');
      // The check for this client is in progress now (it answers nothing for 10 s; timeout_ms is 3 s).
      await until(() => receiver.received.find((r) => r.path === '/antifraud' && (r.body.client as { max_user_id: string }).max_user_id === String(USERS.hang)));
      await write(USERS.normal, 'пока проверка висит');
      await write(USERS.hang, 'hang-2');
      await delivered('пока проверка висит');
      const otherDeliveredAtMs = Date.now();
      const held = await until(async () => {
        const v = await verdicts(USERS.hang).catch(() => null);
        // The gate and the verdict that made it, both (a loaded machine may read between the two).
        return v?.gate && v.verdicts.length > 0 ? v : undefined;
      });
      assert.equal(held.gate?.verdict, 'hold');
      assert.deepEqual(held.verdicts.map((x) => [x.check, x.verdict, x.source]), [['antifraud', 'hold', 'timeout']]);
      assert.ok(otherDeliveredAtMs < held.verdicts[0]!.at_ms, 'the other conversation\'s message went before the hanging check gave up');
      assert.deepEqual(chatTexts(USERS.hang), [], 'held: nothing in the line');
      await until(() => (botMessages(USERS.hang).length === 1 ? true : undefined));
      assert.deepEqual(botMessages(USERS.hang), [HOLD_REPLY]);
      const gates = await (await admin('GET', '/admin/gates')).json() as { gates: Array<{ conversation_id: string; verdict: string }> };
      assert.ok(gates.gates.some((g) => g.conversation_id === conversationOf(USERS.hang) && g.verdict === 'hold'));
      // The admin API needs its token.
      assert.equal((await admin('POST', `/admin/conversations/${conversationOf(USERS.hang)}/release`, {}, null)).status, 401);
      assert.equal((await admin('GET', '/admin/gates', undefined, 'wrong-token-0123456789abcdef')).status, 401);
      const released = await admin('POST', `/admin/conversations/${conversationOf(USERS.hang)}/release`, { note: 'проверено по телефону' });
      assert.equal(released.status, 200, await released.clone().text());
      await delivered('hang-2');
      const texts = chatTexts(USERS.hang);
      assert.ok(texts.findIndex((t) => t.includes('hang-1')) < texts.findIndex((t) => t.includes('hang-2')), `in order: ${texts.join(' | ')}`);
      assert.ok(texts.some((t) => t.includes('Диалог пропущен администратором') && t.includes('проверено по телефону')), `the operator sees why: ${texts.join(' | ')}`);
      assert.equal((await admin('POST', `/admin/conversations/${conversationOf(USERS.hang)}/release`, {})).status, 409, 'nothing left to release');
      assert.deepEqual(botMessages(USERS.hang), [HOLD_REPLY], 'told once');
      const after = await verdicts(USERS.hang);
      assert.equal(after.gate, null);
      assert.deepEqual(after.verdicts.map((x) => [x.check, x.verdict, x.source]), [['antifraud', 'hold', 'timeout'], ['antifraud', 'allow', 'admin']]);
    });

    test('a held conversation released from the CLI: its messages go in order', async () => {
      await write(USERS.held, 'held-1');
      await until(async () => ((await verdicts(USERS.held).catch(() => null))?.gate ? true : undefined));
      await write(USERS.held, 'held-2');
      await write(USERS.held, 'held-3');
      await until(() => (botMessages(USERS.held).length === 1 ? true : undefined));
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: world().config.database.url, BRIDGE_SECRET_KEY: world().config.security.secret_key ?? '' };
      for (const name of ['CONFIG_FILE', 'MAX_BOT_TOKEN', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET']) delete env[name];
      const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'checks', ...args], { env, encoding: 'utf8', timeout: 60_000 });
      const gates = cli(['gates', '--json']);
      assert.equal(gates.status, 0, gates.stderr);
      assert.ok((JSON.parse(gates.stdout) as { gates: Array<{ conversation_id: string }> }).gates.some((g) => g.conversation_id === conversationOf(USERS.held)));
      assert.equal(cli(['release', 'not-an-id']).status, 2);
      const release = cli(['release', conversationOf(USERS.held), '--note', 'одобрено']);
      assert.equal(release.status, 0, release.stderr);
      await delivered('held-3');
      const texts = chatTexts(USERS.held).filter((t) => t.startsWith('held-'));
      assert.deepEqual(texts, ['held-1', 'held-2', 'held-3']);
      const shown = cli(['verdicts', conversationOf(USERS.held)]);
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /antifraud\thold\tanswer/);
      assert.match(shown.stdout, /antifraud\tallow\tadmin/);
    });

    test('a check that times out follows on_error: allow routes (recorded as timeout), block blocks', async () => {
      await write(USERS.slowErp, 'slow-erp');
      assert.equal(await delivered('slow-erp'), 1);
      const slow = await verdicts(USERS.slowErp);
      assert.deepEqual(slow.verdicts.map((x) => [x.check, x.verdict, x.source]), [['antifraud', 'allow', 'answer'], ['erp', 'allow', 'timeout'], ['strict', 'allow', 'answer']]);
      assert.deepEqual(slow.tags, [], 'the late answer\'s tags are not taken');
      await write(USERS.strictSlow, 'strict-slow');
      await until(async () => ((await skippedOf(USERS.strictSlow)) === 1 ? true : undefined));
      const strict = await verdicts(USERS.strictSlow);
      assert.deepEqual(strict.verdicts.map((x) => [x.check, x.verdict, x.source]), [['antifraud', 'allow', 'answer'], ['erp', 'allow', 'answer'], ['strict', 'block', 'timeout']]);
      assert.equal(strict.gate?.verdict, 'block');
      assert.equal(lineOfText('strict-slow'), undefined);
      await until(() => (botMessages(USERS.strictSlow).length === 1 ? true : undefined));
      assert.deepEqual(botMessages(USERS.strictSlow), [BLOCK_REPLY]);
    });

    test('a verdict\'s route and tags: the named route, a when.tags route with the tags shown to the operator; an unknown route routes as usual', async () => {
      await write(USERS.routeVip, 'route-vip');
      assert.equal(await delivered('route-vip'), 2, 'the route the check named');
      await write(USERS.tagged, 'tagged-client');
      assert.equal(await delivered('tagged-client'), 3, 'when.tags: gold');
      const texts = chatTexts(USERS.tagged);
      const line = texts.find((t) => t.includes('Проверка antifraud:'));
      assert.ok(line?.includes('метки: gold, new') && line.includes('постоянный клиент с 2019 года'), `the operator's line: ${texts.join(' | ')}`);
      assert.ok(texts.indexOf(line ?? '') < texts.findIndex((t) => t.includes('tagged-client')), 'before the client\'s first message');
      const tagged = await verdicts(USERS.tagged);
      assert.deepEqual(tagged.tags, ['gold', 'new']);
      assert.deepEqual(tagged.verdicts[0]?.tags, ['gold', 'new']);
      const row = await world().bridge.store.conversations.get(conversationOf(USERS.tagged) as never);
      assert.equal(row?.routeName, 'regulars');
      assert.ok(row?.routeJson?.includes('метки: gold, new'), 'the route record says why');
      // The admin API explains with tags too.
      const explained = await admin('POST', '/admin/routes/explain', { bot: 'shop', text: 'привет', tags: ['GOLD'] });
      assert.equal((await explained.json() as { route: string }).route, 'regulars');
      assert.equal((await admin('POST', '/admin/routes/explain', { bot: 'shop', tags: ['два слова'] })).status, 400);
      await write(USERS.unknownRoute, 'unknown-route');
      assert.equal(await delivered('unknown-route'), 1);
      assert.ok(chatTexts(USERS.unknownRoute).some((t) => t.includes('маршрута «nope» нет')), 'the operator is told');
      // Routing events: the tags and the verdicts, to the webhook.
      const routed = await until(() => receiver.received.find((r) => r.path === '/events' && r.body.type === 'conversation.routed'
        && (r.body.data as { conversation_id: string }).conversation_id === conversationOf(USERS.tagged)));
      const data = routed.body.data as { route: string; tags: string[]; checks: Array<{ name: string; verdict: string; source: string }> };
      assert.equal(data.route, 'regulars');
      assert.deepEqual(data.tags, ['gold', 'new']);
      assert.deepEqual(data.checks.map((c) => c.name), ['antifraud', 'erp', 'strict']);
      await until(() => receiver.received.find((r) => r.path === '/events' && r.body.type === 'conversation.started'
        && (r.body.data as { conversation_id: string }).conversation_id === conversationOf(USERS.tagged)));
    });

    test('a per-message check blocks from that message on; earlier messages stay delivered', async () => {
      await write(USERS.fraudLater, 'fine-1');
      await delivered('fine-1');
      await write(USERS.fraudLater, 'look fraud! here');
      await write(USERS.fraudLater, 'after-fraud');
      await until(async () => ((await skippedOf(USERS.fraudLater)) === 2 ? true : undefined));
      assert.equal(lineOfText('fraud!'), undefined);
      assert.equal(lineOfText('after-fraud'), undefined);
      assert.deepEqual(botMessages(USERS.fraudLater), [BLOCK_REPLY]);
      const v = await verdicts(USERS.fraudLater);
      assert.deepEqual(v.verdicts.map((x) => [x.check, x.verdict]), [['antifraud', 'allow'], ['erp', 'allow'], ['strict', 'allow'], ['antifraud', 'block']]);
    });

    test('an administrator blocks a conversation and lets it through again', async () => {
      await write(USERS.adminBlocked, 'before-block');
      await delivered('before-block');
      const blocked = await admin('POST', `/admin/conversations/${conversationOf(USERS.adminBlocked)}/block`, { note: 'жалоба' });
      assert.equal(blocked.status, 200, await blocked.clone().text());
      assert.equal((await admin('POST', '/admin/conversations/shop:999999999/block', {})).status, 404);
      await write(USERS.adminBlocked, 'while-blocked');
      await until(async () => ((await skippedOf(USERS.adminBlocked)) === 1 ? true : undefined));
      assert.equal(botMessages(USERS.adminBlocked).length, 1, 'the default block reply, once');
      assert.equal((await admin('POST', `/admin/conversations/${conversationOf(USERS.adminBlocked)}/release`, {})).status, 200);
      await write(USERS.adminBlocked, 'after-release');
      await delivered('after-release');
      assert.equal(lineOfText('while-blocked'), undefined);
    });

    test('every request was signed with its check\'s secret; a retried job would send the same event id', () => {
      const checks = receiver.received.filter((r) => r.path !== '/events');
      assert.ok(checks.length > 20);
      assert.deepEqual(checks.filter((r) => !r.signatureOk), []);
      for (const r of checks) {
        assert.match(r.eventId, /^evt_[a-z2-7]{26}$/);
        assert.equal(r.body.id, r.eventId);
        assert.equal(r.body.check, r.path.slice(1));
        assert.match(String(r.body.type), /^check\.(conversation|message)$/);
      }
      const first = checks.find((r) => r.body.type === 'check.conversation' && (r.body.client as { max_user_id: string }).max_user_id === String(USERS.tagged));
      assert.deepEqual(first?.body.candidate_route, { route: 'default', line: 'main:1', portal: 'main' }, 'the router\'s candidate, before the tags');
      assert.deepEqual((first?.body.message as { text: string }).text, 'tagged-client');
      // A job run again (put back, retried) asks again with the same id and the same question.
      const byId = new Map<string, string>();
      for (const r of checks) {
        const { at: _at, ...question } = r.body;
        const seen = byId.get(r.eventId);
        if (seen !== undefined) assert.equal(JSON.stringify(question), seen, 'one id per check and update');
        byId.set(r.eventId, JSON.stringify(question));
      }
      assert.ok(byId.size >= 20);
    });
  });
}
