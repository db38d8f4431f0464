/**
 * Operator text → client, end to end (bridge + both emulators over HTTP,
 * SQLite and PostgreSQL), in the shapes the portal delivers it:
 * - a reply quoting an earlier message (the messenger's dashed block with
 *   `<br />` lines) reads as a quote in MAX;
 * - HTML entities the portal puts in the text are decoded exactly once;
 * - system messages: the ones meant for the client (welcome, automatic
 *   answer, close text, rating request) reach it, a transfer between
 *   operators and an operator joining do not (default `rewrite`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHtmlText } from '../../emulators/max/formatted-text.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, sandboxFor, until } from '../helpers/e2e.ts';

for (const engine of testEngines()) {
  describe(`operator text to the client end to end (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-outtext-');

    const post = postOk;
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const chatUrl = (userId: number) => `${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(userId)!.chatId}`;
    /** What the client sees from the bot in MAX, in order. */
    const botMessages = (userId: number) => {
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted);
    };
    const botTexts = (userId: number) => botMessages(userId).map((m) => m.message.body.text ?? '');
    const reply = async (userId: number, text: string, extra: Record<string, unknown> = {}) =>
      Number(((await post(`${chatUrl(userId)}/reply`, { text, ...extra })).message as { id: number }).id);
    async function openDialog(userId: number, name: string, text = 'Здравствуйте') {
      await post(`${sandboxOf().max.controlUrl}/messages`, { user: { user_id: userId, first_name: name }, text });
      await until(() => (lineChatOf(userId)?.messageIds.length ? true : undefined));
    }

    test('an operator\'s quoted reply reads as a quote in MAX: no literal <br /> and no dashed separator lines', async () => {
      await openDialog(6301, 'Вера', 'Когда будет доставка?');
      const clientMessageId = lineChatOf(6301)!.messageIds[0]!;
      await reply(6301, 'Завтра до 18:00', { quoteMessageId: clientMessageId });
      const [sent] = await until(() => (botMessages(6301).length > 0 ? botMessages(6301) : undefined));
      const body = sent!.message.body;
      assert.ok(!body.text!.includes('<br') && !body.text!.includes('-----'), `reads naturally: ${JSON.stringify(body.text)}`);
      const user = lineChatOf(6301)!.externalUser as { name?: string; last_name?: string };
      const author = `${user.name ?? ''} ${user.last_name ?? ''}`.trim();
      const expected = parseHtmlText(`<b>Анна Смирнова:</b>\n<blockquote><i>${author}</i>\nКогда будет доставка?</blockquote>\nЗавтра до 18:00`);
      assert.deepEqual({ text: body.text, markup: body.markup ?? [] }, expected, 'a MAX quote with its author, then the answer');
    });

    test('an operator\'s "Tom & Jerry <3" reaches the client as typed, not as &amp; or &lt;', async () => {
      await openDialog(6302, 'Гоша');
      await reply(6302, 'Tom & Jerry <3 "в кавычках"');
      await reply(6302, '&amp;amp;');
      const texts = await until(() => (botTexts(6302).length >= 2 ? botTexts(6302) : undefined));
      assert.deepEqual(texts, ['Анна Смирнова:\nTom & Jerry <3 "в кавычках"', 'Анна Смирнова:\n&amp;amp;'],
        'entities decoded exactly once: a literal "&amp;amp;" typed by the operator stays "&amp;amp;"');
      const delivery = (await (await fetch(`${sandboxOf().bitrix24.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; body: { data?: { MESSAGES?: Array<{ message?: { text?: string } }> } } }> };
      const wire = delivery.deliveries.filter((d) => d.event === 'ONIMCONNECTORMESSAGEADD').map((d) => d.body.data?.MESSAGES?.[0]?.message?.text ?? '');
      assert.ok(wire.some((t) => t.endsWith('Tom &amp; Jerry &lt;3 &quot;в кавычках&quot;')), 'the portal sent the text entity-encoded');
    });

    test('a transfer between operators and an operator joining are not sent to the client; the welcome, the automatic answer, the close text and the rating request are', async () => {
      await openDialog(6303, 'Лида');
      await post(`${chatUrl(6303)}/system`, { kind: 'welcome' });
      await post(`${chatUrl(6303)}/system`, { kind: 'no_answer' });
      await post(`${chatUrl(6303)}/transfer`, { operatorId: 3 });
      await post(`${chatUrl(6303)}/system`, { kind: 'join', text: 'Олег Иванов присоединился к диалогу' });
      await reply(6303, 'Чем могу помочь?');
      await post(`${chatUrl(6303)}/close`, {});
      // Replies of one conversation go in order: once the rating request is there, everything before it was decided.
      const texts = await until(() => (botTexts(6303).some((t) => t.startsWith('Пожалуйста, оцените')) ? botTexts(6303) : undefined));
      assert.deepEqual(texts, [
        'Здравствуйте! Мы получили ваше сообщение, оператор скоро ответит.',
        'К сожалению, сейчас все операторы заняты. Мы ответим вам, как только освободимся.',
        'Олег Иванов:\nЧем могу помочь?',
        'Диалог завершён. Спасибо за обращение!',
        'Пожалуйста, оцените качество обслуживания: отправьте 1, если понравилось, или 0, если нет.',
      ]);
      const italic = botMessages(6303).map((m) => (m.message.body.markup ?? []).some((e) => e.type === 'emphasized' && e.from === 0 && e.length === (m.message.body.text ?? '').length));
      assert.deepEqual(italic, [true, true, false, true, true], 'system messages for the client are rewritten in italics (default), the reply is not');
      assert.ok(texts.every((t) => !t.includes('перевёл') && !t.includes('присоединился')), 'nothing internal reached the client');
    });
  });
}
