/**
 * End to end over HTTP (bridge + both emulators, both engines): a client's
 * later message waits for an earlier one whose webhook this process is still
 * taking in — its headers are here, its body is not — and both reach the Open
 * Line in MAX order, however long the earlier one takes (up to the cap).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';
import { untilHeldByIntake, untilIdle, untilTakingIn } from '../helpers/settled.ts';

const SECRET = 'sandbox_webhook_secret';

for (const engine of testEngines()) {
  describe(`a webhook still arriving holds later messages (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-');
    const b24 = async (path: string) => (await (await fetch(`${sandboxOf().bitrix24.controlUrl}${path}`)).json()) as Record<string, unknown>;
    const maxCtl = (path: string, body: unknown) =>
      fetch(`${sandboxOf().max.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const lineTexts = async () => ((await b24('/portals/0/chats')).chats as Array<{ messages: Array<{ text: string }> }>)
      .flatMap((c) => c.messages.map((m) => m.text));

    test('the later message goes only after the earlier one, whose body came late', { timeout: 60_000 }, async () => {
      await maxCtl('/messages', { user: { user_id: 8101, first_name: 'Анна' }, text: 'первое' });
      await until(async () => ((await lineTexts()).includes('первое') ? true : undefined));
      // A real update of this client as the template for two more, stamped by "MAX" 5 ms apart.
      const updates = ((await (await fetch(`${sandboxOf().max.controlUrl}/updates`)).json()) as { updates: Array<{ update: Record<string, unknown> }> }).updates;
      const template = updates.map((u) => u.update).find((u) => u.update_type === 'message_created'
        && (u.message as { body: { text: string } }).body.text === 'первое')!;
      const nowMs = Date.now();
      const updateOf = (suffix: string, text: string, tsMs: number) => {
        const message = structuredClone(template.message) as { body: { mid: string; text: string }; timestamp: number };
        message.body.mid = `${message.body.mid}.${suffix}`;
        message.body.text = text;
        message.timestamp = tsMs;
        return JSON.stringify({ ...template, timestamp: tsMs, message });
      };
      const earlier = updateOf('a', 'раньше', nowMs);
      const later = updateOf('b', 'позже', nowMs + 5);
      const bridge = sandboxOf().bridge!;
      const url = new URL(`${bridge.url}/max/webhook/sandbox`);
      // At rest first: the one request in flight below is then ours.
      await untilIdle(bridge, sandboxOf());

      // The earlier webhook: headers and half the body now, the rest later.
      const socket = connect(Number(url.port), url.hostname);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const bytes = Buffer.from(earlier);
      const half = Math.floor(bytes.length / 2);
      socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\nx-max-bot-api-secret: ${SECRET}\r\n`
        + `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`);
      socket.write(bytes.subarray(0, half));
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => { text += d.toString(); });
        socket.on('close', () => resolve(text));
      });
      try {
        await untilTakingIn(bridge); // its headers are taken in

        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': SECRET }, body: later });
        assert.equal(res.status, 200, 'the later webhook is stored and answered at once');
        // The later message is queued for the line, and the line's flush waits for the request still arriving.
        await until(async () => ((await bridge.store.db.selectFrom('line_outbox').select('id')
          .where('item_json', 'like', '%позже%').execute()).length === 1 ? true : undefined));
        await untilHeldByIntake(bridge, async () => (await lineTexts()).includes('позже'));
        assert.equal((await lineTexts()).includes('позже'), false, 'the later message waits for the request still arriving');

        socket.write(bytes.subarray(half));
        assert.match(await answer, /^HTTP\/1\.1 200/);
        const texts = await until(async () => {
          const t = await lineTexts();
          return t.includes('раньше') && t.includes('позже') ? t : undefined;
        });
        assert.ok(texts.indexOf('раньше') < texts.indexOf('позже'), `MAX order kept: ${JSON.stringify(texts)}`);
      } finally {
        socket.destroy(); // on a failure above, an open request would hold the bridge's close
      }
    });
  });
}
