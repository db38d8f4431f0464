/**
 * End to end over HTTP (bridge + both emulators, both engines): an operator's
 * later reply waits for an earlier one whose Bitrix24 event this process is
 * still taking in — its headers are here, its body is not — and both reach the
 * client in MAX in the order the operator wrote them.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { stringify } from 'qs';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';
import { untilHeldByIntake, untilIdle, untilTakingIn } from '../helpers/settled.ts';

for (const engine of testEngines()) {
  describe(`an event still arriving holds later operator replies (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-out-inflight-');
    const control = (method: string, path: string, body?: unknown) => fetch(`${sandboxOf().bitrix24.controlUrl}${path}`, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const botTexts = (userId: number) => {
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };

    test('the later reply goes only after the earlier one, whose event body came late', { timeout: 60_000 }, async () => {
      await fetch(`${sandboxOf().max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: 6801, first_name: 'Олег' }, text: 'Здравствуйте' }),
      });
      const chat = await until(() => [...portal().chats.values()].find((c) => c.externalUserId === '6801'));
      // The portal writes both replies but its events are lost; the test posts them itself.
      assert.equal((await control('PUT', '/events', { dropRate: 1 })).status, 200);
      const deliveriesBefore = sandboxOf().bitrix24.context.deliveries.length;
      await control('POST', `/portals/0/chats/${chat.chatId}/reply`, { text: 'сначала это' });
      await control('POST', `/portals/0/chats/${chat.chatId}/reply`, { text: 'потом это' });
      assert.equal((await control('PUT', '/events', { dropRate: 0 })).status, 200);
      const dropped = sandboxOf().bitrix24.context.deliveries.slice(deliveriesBefore).filter((d) => d.dropped && d.event === 'ONIMCONNECTORMESSAGEADD');
      assert.equal(dropped.length, 2);
      const [earlier, later] = dropped.map((d) => ({ url: new URL(d.handler), body: Buffer.from(stringify(d.body)) })) as [{ url: URL; body: Buffer }, { url: URL; body: Buffer }];

      const bridge = sandboxOf().bridge!;
      // At rest first: the one request in flight below is then ours.
      await untilIdle(bridge, sandboxOf());
      const socket = connect(Number(earlier.url.port), earlier.url.hostname);
      try {
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        const half = Math.floor(earlier.body.length / 2);
        socket.write(`POST ${earlier.url.pathname} HTTP/1.1\r\nHost: ${earlier.url.host}\r\ncontent-type: application/x-www-form-urlencoded\r\n`
          + `content-length: ${earlier.body.length}\r\nconnection: close\r\n\r\n`);
        socket.write(earlier.body.subarray(0, half));
        const answer = new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (d: Buffer) => { text += d.toString(); });
          socket.on('close', () => resolve(text));
        });
        await untilTakingIn(bridge); // its headers are taken in

        const res = await fetch(later.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: later.body });
        assert.equal(res.status, 200, 'the later event is stored and answered at once');
        // The later reply's job waits in the order gate for the request still arriving.
        await untilHeldByIntake(bridge, () => botTexts(6801).some((t) => t.includes('потом это')));
        assert.equal(botTexts(6801).some((t) => t.includes('потом это')), false, 'the later reply waits for the event still arriving');

        socket.write(earlier.body.subarray(half));
        assert.match(await answer, /^HTTP\/1\.1 200/);
        const texts = await until(() => {
          const t = botTexts(6801);
          return t.some((x) => x.includes('сначала это')) && t.some((x) => x.includes('потом это')) ? t : undefined;
        });
        assert.ok(texts.findIndex((x) => x.includes('сначала это')) < texts.findIndex((x) => x.includes('потом это')), `written order kept: ${JSON.stringify(texts)}`);
      } finally {
        socket.destroy(); // on a failure above, an open request would hold the bridge's close
      }
    });
  });
}
