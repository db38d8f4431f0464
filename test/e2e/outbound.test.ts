/**
 * Outbound end to end (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): the operator's reply in the Open Line reaches the client in MAX
 * formatted and in order, with the delivery status back in Bitrix24; long
 * replies are split in order; system messages follow the configuration; a
 * reply to a client who stopped the bot becomes a notice in the Open Line and
 * a dead letter without retries; a replayed event changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConversationId } from '../../src/domain/ids.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, sandboxFor, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

for (const engine of testEngines()) {
  describe(`outbound end to end (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-out-');

    const post = postOk;
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    /** What the client sees from the bot in MAX, in order. */
    const botTexts = (userId: number) => {
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const reply = (userId: number, text: string) => post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(userId)!.chatId}/reply`, { text });
    async function openDialog(userId: number, name: string) {
      await post(`${sandboxOf().max.controlUrl}/messages`, { user: { user_id: userId, first_name: name }, text: 'Здравствуйте' });
      await until(() => (lineChatOf(userId) ? true : undefined));
    }

    test('an operator reply reaches MAX formatted, with the operator name, and is marked delivered in Bitrix24', async () => {
      await openDialog(6101, 'Пётр');
      const sent = await reply(6101, 'Добрый день! [b]Заказ[/b] готов: [url=https://shop.example.ru/o/1]ссылка[/url]');
      const texts = await until(() => (botTexts(6101).length > 0 ? botTexts(6101) : undefined));
      assert.deepEqual(texts, ['Анна Смирнова:\nДобрый день! Заказ готов: ссылка']);
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === 6101)!;
      const markup = sandboxOf().max.world.messages.get(chat.mids.at(-1)!)!.message.body.markup as Array<{ type: string; from: number; length: number; url?: string }>;
      assert.deepEqual(markup.map((m) => [m.type, texts[0]!.slice(m.from, m.from + m.length), m.url]), [
        ['strong', 'Анна Смирнова:', undefined], ['strong', 'Заказ', undefined], ['link', 'ссылка', 'https://shop.example.ru/o/1'],
      ]);
      const id = Number((sent.message as { id: number }).id);
      const status = await until(() => (portal().messages.get(id)?.delivered ? portal().messages.get(id) : undefined));
      assert.equal(status.externalIds.length, 1, 'Bitrix24 keeps the MAX mid');
    });

    test('replies go in order; a long reply is split at paragraph boundaries, parts in order', async () => {
      await openDialog(6102, 'Анна');
      const paragraphs = Array.from({ length: 12 }, (_, i) => `Абзац ${i + 1}: ${'текст '.repeat(90).trim()}`);
      await reply(6102, 'первый');
      await reply(6102, paragraphs.join('\n\n'));
      await reply(6102, 'последний');
      const texts = await until(() => (botTexts(6102).some((t) => t.endsWith('последний')) ? botTexts(6102) : undefined));
      assert.ok(texts.length >= 4, `the long reply came in parts: ${texts.length} messages`);
      assert.ok(texts.every((t) => t.length <= 4000));
      assert.ok(texts[0]!.endsWith('первый') && texts.at(-1)!.endsWith('последний'));
      const middle = texts.slice(1, -1).join('\n');
      for (const [i, p] of paragraphs.entries()) assert.ok(middle.includes(p), `paragraph ${i + 1} arrived whole`);
      assert.ok(paragraphs.every((p, i) => i === 0 || middle.indexOf(p) > middle.indexOf(paragraphs[i - 1]!)), 'parts in order');
    });

    test('a system message for the client (the welcome) reaches the client rewritten, without an operator name', async () => {
      await openDialog(6103, 'Олег');
      await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(6103)!.chatId}/system`, { kind: 'welcome' });
      const texts = await until(() => (botTexts(6103).length > 0 ? botTexts(6103) : undefined));
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === 6103)!;
      const markup = sandboxOf().max.world.messages.get(chat.mids.at(-1)!)!.message.body.markup as Array<{ type: string; from: number; length: number }>;
      assert.deepEqual(markup.map((m) => [m.type, m.from, m.length]), [['emphasized', 0, texts[0]!.length]], 'rewritten: the whole notice in italics');
      assert.ok(!texts[0]!.startsWith('Анна Смирнова:'), 'no operator name on a system message');
    });

    test('a reply to a client who stopped the bot: a notice in the Open Line, a dead letter, no retries; bot_started unblocks', async () => {
      await openDialog(6104, 'Ирина');
      await post(`${sandboxOf().max.controlUrl}/bot-stopped`, { user_id: 6104 });
      const store = sandboxOf().bridge!.store;
      await until(async () => ((await store.conversations.get(parseConversationId(lineChatOf(6104)!.externalChatId)!))?.state === 'blocked' ? true : undefined));
      await reply(6104, 'Вы ещё здесь?');
      const notice = await until(() => {
        const chat = lineChatOf(6104)!;
        return chat.messageIds.map((id) => portal().messages.get(id)!).find((m) => m.system && m.text.startsWith('[b]Сообщение не доставлено'));
      });
      assert.match(notice.text, /«Вы ещё здесь\?»: клиент остановил бота/);
      const dead = await until(async () => (await store.db.selectFrom('jobs').selectAll().where('state', '=', 'dead').where('last_error_code', '=', 'BRG_ERR_CLIENT_BLOCKED').execute())[0]);
      assert.equal(dead.attempts, 1, 'no retries');
      // The notice came back as an event (NEED_SYSTEM_MESSAGES) and was ignored: it does not loop.
      const echo = await until(async () => ((await (await fetch(`${sandboxOf().bitrix24.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; status: number | null; body: { data?: { MESSAGES?: Array<{ im: { message_id: string } }> } } }> })
        .deliveries.find((d) => d.event === 'ONIMCONNECTORMESSAGEADD' && d.body.data?.MESSAGES?.[0]?.im.message_id === String(notice.id) && d.status === 200));
      assert.ok(echo);
      await untilIdle(sandboxOf().bridge!, sandboxOf());
      assert.deepEqual(botTexts(6104), [], 'nothing was sent to MAX');
      assert.equal((await store.db.selectFrom('jobs').selectAll().where('state', '=', 'dead').execute()).length, 1, 'the echo made no dead letter');
      await post(`${sandboxOf().max.controlUrl}/bot-started`, { user: { user_id: 6104 } });
      await until(async () => ((await store.db.selectFrom('conversations').select('state').where('max_user_id', '=', '6104').executeTakeFirst())?.state === 'active' ? true : undefined));
      await reply(6104, 'С возвращением!');
      await until(() => (botTexts(6104).some((t) => t.endsWith('С возвращением!')) ? true : undefined));
    });

    test('an operator edit changes the message in MAX; a delete removes it', async () => {
      await openDialog(6106, 'Глеб');
      const sent = await reply(6106, 'цена 100 ₽');
      await until(() => (botTexts(6106).length === 1 ? true : undefined));
      const id = Number((sent.message as { id: number }).id);
      const edit = await fetch(`${sandboxOf().bitrix24.controlUrl}/portals/0/messages/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'цена 90 ₽' }) });
      assert.equal(edit.status, 200);
      await until(() => (botTexts(6106)[0]?.endsWith('цена 90 ₽') ? true : undefined));
      assert.equal(botTexts(6106).length, 1, 'edited in place, not sent again');
      const del = await fetch(`${sandboxOf().bitrix24.controlUrl}/portals/0/messages/${id}`, { method: 'DELETE' });
      assert.equal(del.status, 200);
      await until(() => (botTexts(6106).length === 0 ? true : undefined));
    });

    test('operator files of each type arrive in MAX with the right type and bytes; the text rides as the caption', async () => {
      await openDialog(6107, 'Лев');
      const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
      const files = [
        { name: 'счёт.png', type: 'image', mime: 'image/png', content_base64: png.toString('base64') },
        { name: 'обзор.mp4', type: 'file', mime: 'video/mp4', content_base64: Buffer.from('video-bytes').toString('base64') },
        { name: 'голос.mp3', type: 'file', mime: 'audio/mpeg', content_base64: Buffer.from('audio-bytes').toString('base64') },
        { name: 'договор.pdf', type: 'file', mime: 'application/pdf', content_base64: Buffer.from('%PDF-1.4 договор').toString('base64') },
      ];
      await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(6107)!.chatId}/reply`, { text: 'Документы по заказу', files });
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === 6107)!;
      const sent = await until(() => {
        const list = chat.mids.map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot);
        return list.length >= 4 ? list : undefined;
      }, 60_000);
      assert.equal(sent.length, 4, 'one message per file, the text with the first');
      assert.ok((sent[0]!.message.body.text ?? '').endsWith('Документы по заказу'));
      assert.deepEqual(sent.map((m) => m.message.body.attachments?.[0]?.type), ['image', 'video', 'audio', 'file']);
      const fileAttachment = sent[3]!.message.body.attachments![0] as unknown as { payload: { url: string } };
      const bytes = Buffer.from(await (await fetch(fileAttachment.payload.url)).arrayBuffer());
      assert.equal(bytes.toString(), '%PDF-1.4 договор', 'the file arrived intact');
    });

    test('a replayed event changes nothing', async () => {
      await openDialog(6105, 'Вера');
      await reply(6105, 'один раз');
      await until(() => (botTexts(6105).length === 1 ? true : undefined));
      const deliveries = ((await (await fetch(`${sandboxOf().bitrix24.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; body: Record<string, unknown>; handler: string }> }).deliveries;
      const original = deliveries.filter((d) => d.event === 'ONIMCONNECTORMESSAGEADD').at(-1)!;
      const { stringify } = await import('qs');
      const res = await fetch(original.handler, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stringify(original.body) });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { duplicate: boolean }).duplicate, true);
      await untilIdle(sandboxOf().bridge!, sandboxOf());
      assert.equal(botTexts(6105).length, 1);
    });
  });
}
