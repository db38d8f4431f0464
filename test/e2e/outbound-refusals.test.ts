/**
 * Outbound end to end, when MAX (or the situation) refuses a part of an
 * operator's reply (bridge + both emulators over HTTP, SQLite and PostgreSQL):
 * - a file whose name is longer than MAX takes is sent with a shortened name
 *   (extension kept, valid UTF-8), along with the text and the other files;
 * - a file MAX still refuses (at upload or at send) is left out: the text and
 *   the other files reach the client, the operator is told which file and why;
 * - a reply (or an edit) whose formatting MAX refuses reaches the client as
 *   plain text, once;
 * - an operator writing first into an Open Lines chat of a client who never
 *   wrote to the bot gets a notice there saying why it cannot be sent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openChat } from '../../emulators/bitrix24/openlines.ts';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';

/** Half of a surrogate pair: a string that is not valid UTF-8 once encoded. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const PDF = Buffer.from('%PDF-1.4 договор');
const TXT = Buffer.from('реквизиты');

for (const engine of testEngines()) {
  describe(`outbound refusals end to end (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-outrefusals-');

    const post = async (url: string, body: unknown, method = 'POST') => {
      const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const store = () => sandboxOf().bridge!.store;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const dialogOf = (userId: number) => [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
    const botMessages = (userId: number) => (dialogOf(userId)?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted);
    const noticesIn = (chatId: number) => portal().chats.get(chatId)!.messageIds.map((id) => portal().messages.get(id)!).filter((m) => m.system && m.text.startsWith('[b]'));
    const notices = (userId: number) => noticesIn(lineChatOf(userId)!.chatId);
    const conversationOf = async (userId: number) => (await store().db.selectFrom('conversations').selectAll().where('max_user_id', '=', String(userId)).executeTakeFirst())!;
    const file = (name: string, data: Buffer, mime: string) => ({ name, type: 'file', mime, content_base64: data.toString('base64') });
    const reply = async (chatId: number, text: string, extra: Record<string, unknown> = {}) =>
      post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${chatId}/reply`, { text, ...extra });
    async function openDialog(userId: number, name: string) {
      await post(`${sandboxOf().max.controlUrl}/messages`, { user: { user_id: userId, first_name: name }, text: 'Здравствуйте' });
      return (await until(() => lineChatOf(userId))).chatId;
    }
    /** What MAX stored of each bot message: text, markup, and the file name it carries. */
    const seen = (userId: number) => botMessages(userId).map((m) => ({
      text: m.message.body.text ?? null,
      markup: m.message.body.markup ?? null,
      file: (m.message.body.attachments ?? []).map((a) => (a as unknown as { filename?: string }).filename ?? a.type)[0] ?? null,
    }));

    test('an operator file with a 250-character name reaches the client, name shortened keeping ".pdf", with its text and the other file', async () => {
      const chatId = await openDialog(6301, 'Олеся');
      // The cut falls inside an emoji (a surrogate pair): a naive cut would leave half of it.
      const longName = `${'Договор поставки '.repeat(12).slice(0, 194)}${'📄'.repeat(26)}.pdf`;
      assert.equal(longName.length, 250);
      await reply(chatId, 'Договор и реквизиты', { files: [file(longName, PDF, 'application/pdf'), file('реквизиты.txt', TXT, 'text/plain')] });
      const got = await until(() => (botMessages(6301).length >= 2 ? seen(6301) : undefined), 60_000);
      assert.equal(got.length, 2);
      assert.equal(got[0]!.text, 'Анна Смирнова:\nДоговор и реквизиты', 'the text rides with the first file');
      const shortened = got[0]!.file!;
      assert.ok([...shortened].length <= 200, `${[...shortened].length} characters`);
      assert.ok(shortened.endsWith('….pdf'), shortened);
      assert.ok(shortened.startsWith(longName.slice(0, 150)), 'the start of the name is kept');
      assert.ok(!shortened.includes('\uFFFD') && !LONE_SURROGATE.test(shortened), 'no half of a surrogate pair');
      assert.equal(got[1]!.file, 'реквизиты.txt');
      assert.deepEqual(notices(6301), [], 'nothing to tell the operator');
    });

    for (const refusedAt of ['upload', 'send'] as const) {
      test(`a file MAX refuses (at ${refusedAt}): the text and the other file still reach the client, the operator is told which file and why`, async () => {
        const userId = refusedAt === 'upload' ? 6302 : 6303;
        const chatId = await openDialog(userId, 'Пётр');
        const settings = sandboxOf().max.settings;
        const before = { max: settings.fileNameMaxLength, at: settings.fileNameRefusedAt };
        // A stricter MAX than the bridge's 200: the shortened name is still refused.
        settings.fileNameMaxLength = 20;
        settings.fileNameRefusedAt = refusedAt;
        try {
          const refused = 'Акт сверки взаимных расчётов за 2026 год.pdf';
          await reply(chatId, 'Высылаю документы', { files: [file(refused, PDF, 'application/pdf'), file('счёт.txt', TXT, 'text/plain')] });
          const notice = await until(() => notices(userId)[0], 60_000);
          assert.equal(notice.text, `[b]Не всё доставлено клиенту в MAX[/b] «Высылаю документы»: не отправлено: файл «${refused}» — `
            + `MAX отклонил его (Field 'filename' size (${[...refused].length}) must be at most 20). Остальное отправлено клиенту.`);
          assert.deepEqual(seen(userId).map((m) => [m.text, m.file]), [['Анна Смирнова:\nВысылаю документы', null], [null, 'счёт.txt']]);
          const conversation = await conversationOf(userId);
          const dead = await until(async () => store().db.selectFrom('jobs').selectAll().where('state', '=', 'dead')
            .where('conversation_key', 'like', `%${conversation.id}`).executeTakeFirst());
          assert.equal(dead.last_error_code, 'BRG_ERR_UNDELIVERABLE', 'visible among dead letters, after one attempt');
          assert.equal(dead.attempts, 1);
          // The operator's status shows the reply delivered (the parts that went).
          const status = await until(async () => store().db.selectFrom('line_outbox').selectAll().where('conversation_id', '=', conversation.id)
            .where('method', '=', 'status').executeTakeFirst());
          assert.equal((JSON.parse(status.item_json) as { message: { id: string[] } }).message.id.length, 2);
        } finally {
          settings.fileNameMaxLength = before.max;
          settings.fileNameRefusedAt = before.at;
        }
      });
    }

    test('MAX refuses a reply\'s formatting: the client still gets the words, as plain text, once', async () => {
      const chatId = await openDialog(6304, 'Вера');
      await post(`${sandboxOf().max.controlUrl}/faults`, { rules: [{ kind: 'format_refused', remaining: 1 }] }, 'PUT');
      await reply(chatId, '[b]Важно:[/b] оплатить можно по [url=https://pay.example.ru/?a=1&b=2]ссылке[/url] до 5 & 6 числа');
      const got = await until(() => (botMessages(6304).length >= 1 ? seen(6304) : undefined), 30_000);
      assert.deepEqual(got, [{ text: 'Анна Смирнова:\nВажно: оплатить можно по ссылке (https://pay.example.ru/?a=1&b=2) до 5 & 6 числа', markup: null, file: null }]);
      const conversation = await conversationOf(6304);
      const sends = await until(async () => {
        const rows = await store().db.selectFrom('journal').select(['status', 'request_body']).where('side', '=', 'max').where('method', '=', 'POST')
          .where('endpoint', 'like', '%/messages').where('conversation_id', '=', conversation.id).execute();
        return rows.length >= 2 ? rows : undefined;
      });
      assert.deepEqual(sends.map((s) => s.status).sort(), [200, 400], 'one refused send, one plain resend');
      await reply(chatId, 'Спасибо');
      await until(() => (botMessages(6304).length >= 2 ? true : undefined));
      assert.equal(botMessages(6304).length, 2, 'no duplicate of the resent reply');
      assert.deepEqual(notices(6304), [], 'the client got the words: nothing to tell the operator');
      const [done] = await store().db.selectFrom('jobs').select(['state']).where('conversation_key', 'like', `%${conversation.id}`)
        .where('kind', '=', 'bitrix24.event').orderBy('id').execute();
      assert.equal(done?.state, 'done');
    });

    test('MAX refuses an edit\'s formatting: the client sees the edited words as plain text, the operator is not told of a failure', async () => {
      const chatId = await openDialog(6307, 'Захар');
      const sent = Number(((await reply(chatId, 'цена 100 ₽')).message as { id: number }).id);
      await until(() => (botMessages(6307).length === 1 ? true : undefined));
      await post(`${sandboxOf().max.controlUrl}/faults`, { rules: [{ kind: 'format_refused', remaining: 1 }] }, 'PUT');
      await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/messages/${sent}`, { text: '[b]Скидка:[/b] цена 90 ₽' }, 'PUT');
      const edited = await until(() => (botMessages(6307)[0]!.message.body.text === 'Скидка: цена 90 ₽' ? seen(6307) : undefined));
      assert.deepEqual(edited, [{ text: 'Скидка: цена 90 ₽', markup: null, file: null }]);
      assert.deepEqual(notices(6307), []);
    });

    test('an operator writes first into an Open Lines chat of a client who never wrote to the bot: a notice there says why it cannot be sent', async () => {
      await openDialog(6305, 'Настоящий клиент');
      const known = lineChatOf(6305)!;
      const p = portal();
      const botId = known.externalChatId.split(':')[0]!;
      // A chat the portal has for a MAX user the bridge never heard from (they never started the bot).
      const { chat } = openChat(p, p.connectors.get(known.connectorId)!, p.lines.get(known.lineId)!, {
        user: { id: '6306', name: 'Новый клиент' }, message: { text: '' }, chat: { id: `${botId}:996306` },
      });
      await reply(chat.chatId, 'Добрый день! Ваш заказ готов.');
      const notice = await until(() => noticesIn(chat.chatId)[0], 30_000);
      assert.equal(notice.text, '[b]Сообщение не доставлено клиенту в MAX[/b] «Добрый день! Ваш заказ готов.»: клиент ещё не писал боту в MAX. '
        + 'MAX разрешает боту писать человеку только после того, как тот сам запустит бота или напишет ему. Ответить можно будет, когда клиент напишет боту.');
      const dead = await until(async () => store().db.selectFrom('jobs').selectAll().where('state', '=', 'dead')
        .where('last_error_code', '=', 'BRG_ERR_UNKNOWN_CHAT').executeTakeFirst());
      assert.equal(dead.attempts, 1);
      // The notice comes back as an event of its own (NEED_SYSTEM_MESSAGES): wait until that job ran.
      await until(async () => ((await store().db.selectFrom('jobs').select('id').where('state', '=', 'done')
        .where('conversation_key', 'like', `%${botId}:996306`).executeTakeFirst()) ? true : undefined));
      assert.equal(noticesIn(chat.chatId).length, 1, 'the notice did not come back as another notice');
      assert.equal([...sandboxOf().max.world.messages.values()].filter((m) => m.fromBot).some((m) => m.message.body.text?.includes('Ваш заказ')), false);
    });
  });
}
