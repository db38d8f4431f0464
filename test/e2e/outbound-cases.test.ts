/**
 * Outbound end to end, the cases around the core path (bridge + both emulators
 * over HTTP, SQLite and PostgreSQL):
 * - every Bitrix24 → MAX row of docs/formatting.md, sent by an operator through
 *   the portal, reaches the client exactly as documented (text and markup), in
 *   order;
 * - operator switching: the transfer stays in the Open Line (internal), the
 *   close text and rating request reach the client, the next reply carries the
 *   new operator's name;
 * - a file still processing in MAX (`attachment.not.ready`) is retried and the
 *   operator's next reply does not overtake it;
 * - MAX refusing for good (the client blocked the bot before the bridge heard
 *   of it, the chat is gone): a Russian notice in the Open Line, a dead letter
 *   after one attempt, later replies not sent to MAX;
 * - edits outside the edit window (ours or MAX's): a notice, the message in MAX
 *   unchanged;
 * - an event with a wrong application_token changes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseHtmlText } from '../../emulators/max/formatted-text.ts';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

/**
 * What the operator typed for a row's text as the portal delivers it (entity-encoded): the
 * portal encodes it again on the way out. Rows with a `<br />` or a numeric entity are the
 * portal's own forms, no operator can type them; the unit test covers those.
 */
function typedFor(wire: string): string | null {
  if (/<br|&#/i.test(wire)) return null;
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };
  return wire.replace(/&(amp|lt|gt|quot);/g, (_m, name: string) => entities[name] as string);
}

/** The Bitrix24 → MAX table of docs/formatting.md: [BB-code, MAX html]. */
function bbcodeRows(): Array<[string, string]> {
  const doc = readFileSync('docs/formatting.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Bitrix24 → MAX'));
  const rows: Array<[string, string]> = [];
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) continue;
    const cells = [...line.matchAll(/`([^`]*)`/g)].map((m) => (m[1] as string).replace(/\\n/g, '\n'));
    if (cells.length >= 2) rows.push([cells[0] as string, cells[1] as string]);
  }
  return rows;
}

for (const engine of testEngines()) {
  describe(`outbound cases end to end (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-outcases-');

    const send = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const post = (url: string, body: unknown) => send('POST', url, body);
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const store = () => sandboxOf().bridge!.store;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const dialogOf = (userId: number) => [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
    /** What the client sees from the bot in MAX, in order. */
    const botMessages = (userId: number) => (dialogOf(userId)?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted);
    const botTexts = (userId: number) => botMessages(userId).map((m) => m.message.body.text ?? '');
    const reply = async (userId: number, text: string, extra: Record<string, unknown> = {}) =>
      Number(((await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(userId)!.chatId}/reply`, { text, ...extra })).message as { id: number }).id);
    const notices = (userId: number) => lineChatOf(userId)!.messageIds.map((id) => portal().messages.get(id)!).filter((m) => m.system && m.authorId === 0 && m.text.startsWith('[b]'));
    const conversationOf = async (userId: number) => (await store().db.selectFrom('conversations').selectAll().where('max_user_id', '=', String(userId)).executeTakeFirst())!;
    const deadJobs = async (code: string) => store().db.selectFrom('jobs').selectAll().where('state', '=', 'dead').where('last_error_code', '=', code).execute();
    async function openDialog(userId: number, name: string) {
      await post(`${sandboxOf().max.controlUrl}/messages`, { user: { user_id: userId, first_name: name }, text: 'Здравствуйте' });
      await until(() => (lineChatOf(userId) ? true : undefined));
    }

    test('every Bitrix24 → MAX row of docs/formatting.md reaches the client as documented, in order', async () => {
      const rows = bbcodeRows().filter(([bbcode]) => typedFor(bbcode) !== null);
      assert.ok(rows.length >= 25, `found ${rows.length} rows`);
      await openDialog(6201, 'Таблица');
      for (const [bbcode] of rows) await reply(6201, typedFor(bbcode)!);
      const got = await until(() => (botMessages(6201).length >= rows.length ? botMessages(6201) : undefined), 120_000);
      assert.equal(got.length, rows.length, 'one message per reply');
      for (const [i, [bbcode, html]] of rows.entries()) {
        // MAX stores an html text as plain text plus markup; the operator's name is kept (default).
        const expected = parseHtmlText(`<b>Анна Смирнова:</b>\n${html}`);
        const body = got[i]!.message.body;
        assert.deepEqual({ text: body.text, markup: body.markup ?? [] }, expected, `row ${i + 1}: ${bbcode}`);
      }
    });

    test('operator switching: the transfer stays in the Open Line, the close text and rating request reach the client; the next reply has the new name', async () => {
      await openDialog(6202, 'Мария');
      await reply(6202, 'до перевода');
      await until(() => (botTexts(6202).length === 1 ? true : undefined));
      await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(6202)!.chatId}/transfer`, { operatorId: 3 });
      await reply(6202, 'после перевода');
      await post(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(6202)!.chatId}/close`, {});
      const texts = await until(() => (botTexts(6202).length >= 4 ? botTexts(6202) : undefined));
      assert.deepEqual(texts, [
        'Анна Смирнова:\nдо перевода',
        'Олег Иванов:\nпосле перевода',
        'Диалог завершён. Спасибо за обращение!',
        'Пожалуйста, оцените качество обслуживания: отправьте 1, если понравилось, или 0, если нет.',
      ]);
      const italics = botMessages(6202).map((m) => (m.message.body.markup ?? []).map((e) => [e.type, e.from, e.length]));
      assert.deepEqual(italics[2], [['emphasized', 0, texts[2]!.length]], 'system messages for the client are rewritten in italics (default)');
      assert.deepEqual(italics[3], [['emphasized', 0, texts[3]!.length]]);
    });

    test('a file MAX is still processing is retried; the next reply does not overtake it; the caption is kept', async () => {
      await openDialog(6203, 'Фёдор');
      const before = sandboxOf().max.settings.attachmentNotReadyMs;
      sandboxOf().max.settings.attachmentNotReadyMs = 4_000;
      try {
        const pdf = Buffer.from('%PDF-1.4 акт сверки');
        await reply(6203, 'Акт сверки', { files: [{ name: 'акт.pdf', type: 'file', mime: 'application/pdf', content_base64: pdf.toString('base64') }] });
        await reply(6203, 'Проверьте, пожалуйста');
        const sent = await until(() => (botMessages(6203).length >= 2 ? botMessages(6203) : undefined), 90_000);
        assert.equal(sent.length, 2);
        assert.equal(sent[0]!.message.body.text, 'Анна Смирнова:\nАкт сверки', 'the file came first, with its caption');
        assert.equal(sent[0]!.message.body.attachments?.[0]?.type, 'file');
        const url = (sent[0]!.message.body.attachments![0] as unknown as { payload: { url: string } }).payload.url;
        assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), pdf, 'the bytes arrived intact');
        assert.equal(sent[1]!.message.body.text, 'Анна Смирнова:\nПроверьте, пожалуйста');
        // Longer than the MAX client's in-call retries: the job itself was retried, with the same upload.
        const conversation = await conversationOf(6203);
        const refused = await until(async () => {
          const rows = await store().db.selectFrom('journal').select(['response_body']).where('conversation_id', '=', conversation.id)
            .where('status', '=', 400).execute();
          return rows.length >= 3 ? rows : undefined;
        });
        assert.ok(refused.every((r) => (r.response_body ?? '').includes('attachment.not.ready')), 'MAX answered attachment.not.ready');
        // The message reaches MAX before the job's row says done: wait for the row, then check it was retried.
        const jobs = await until(async () => {
          const rows = await store().db.selectFrom('jobs').select(['attempts', 'state']).where('conversation_key', 'like', `%${conversation.id}`)
            .where('kind', '=', 'bitrix24.event').orderBy('id').execute();
          return rows.length > 0 && rows.every((j) => j.state === 'done') ? rows : undefined;
        });
        assert.ok(jobs.some((j) => j.attempts > 1), 'the file\'s job was retried and finished');
        assert.equal((await store().db.selectFrom('outbound_uploads').select('part').where('conversation_id', '=', conversation.id).execute()).length, 0,
          'the remembered upload is forgotten once delivered');
      } finally {
        sandboxOf().max.settings.attachmentNotReadyMs = before;
      }
    });

    test('the client blocked the bot before the bridge heard of it: one attempt, a notice, a dead letter; later replies never reach MAX', async () => {
      await openDialog(6204, 'Семён');
      await reply(6204, 'первый');
      await until(() => (botTexts(6204).length === 1 ? true : undefined));
      dialogOf(6204)!.status = 'suspended'; // MAX's state after the user stopped the bot; the bot_stopped update has not reached the bridge
      await reply(6204, 'второй');
      const first = await until(() => notices(6204)[0]);
      assert.equal(first.text, '[b]Сообщение не доставлено клиенту в MAX[/b] «второй»: клиент остановил бота или заблокировал его. Сообщения дойдут, когда клиент снова запустит бота.');
      await until(async () => ((await conversationOf(6204)).state === 'blocked' ? true : undefined));
      await reply(6204, 'третий');
      await until(() => (notices(6204).length === 2 ? true : undefined));
      const conversation = await conversationOf(6204);
      const dead = await until(async () => {
        const rows = (await deadJobs('BRG_ERR_CLIENT_BLOCKED')).filter((j) => j.conversation_key.endsWith(conversation.id));
        return rows.length === 2 ? rows : undefined;
      });
      assert.deepEqual(dead.map((j) => j.attempts), [1, 1], 'no retries');
      // Nothing more: the notices' echoes (NEED_SYSTEM_MESSAGES) came back and were handled.
      await untilIdle(sandboxOf().bridge!, sandboxOf());
      const sends = await store().db.selectFrom('journal').select(['endpoint', 'status']).where('side', '=', 'max')
        .where('method', '=', 'POST').where('conversation_id', '=', conversation.id).execute();
      // Journal rows are written in groups, so their order need not be the order of the sends.
      assert.deepEqual(sends.filter((s) => s.endpoint.includes('/messages')).map((s) => s.status).sort(), [200, 403], 'one refused send, none for the third reply');
      assert.deepEqual(botTexts(6204), ['Анна Смирнова:\nпервый']);
      assert.equal(notices(6204).length, 2, 'the notices did not come back as more notices');
    });

    test('the chat is gone in MAX: a notice in the Open Line and a dead letter after one attempt', async () => {
      await openDialog(6205, 'Роман');
      const chat = dialogOf(6205)!;
      sandboxOf().max.world.chats.delete(chat.chatId);
      await reply(6205, 'Вы тут?');
      const notice = await until(() => notices(6205)[0]);
      assert.equal(notice.text, '[b]Сообщение не доставлено клиенту в MAX[/b] «Вы тут?»: чат в MAX больше не существует.');
      const conversation = await conversationOf(6205);
      const dead = await until(async () => (await deadJobs('BRG_ERR_UNDELIVERABLE')).find((j) => j.conversation_key.endsWith(conversation.id)));
      assert.equal(dead.attempts, 1);
      assert.match(dead.last_error ?? '', /chat\.not\.found/);
      sandboxOf().max.world.chats.set(chat.chatId, chat);
    });

    test('an edit after the bridge\'s 7-day window, or one MAX refuses: a notice to the operator, the message in MAX unchanged', async () => {
      await openDialog(6206, 'Ульяна');
      const old = await reply(6206, 'старая цена 100 ₽');
      await until(() => (botTexts(6206).length === 1 ? true : undefined));
      const conversation = await conversationOf(6206);
      // The bridge records the part once MAX has answered: the row to age must be there first.
      await until(() => store().db.selectFrom('outbound_parts').select('id').where('conversation_id', '=', conversation.id)
        .where('bitrix_message_id', '=', String(old)).executeTakeFirst());
      await store().db.updateTable('outbound_parts').set({ sent_at_ms: Date.now() - 8 * 86_400_000 })
        .where('conversation_id', '=', conversation.id).where('bitrix_message_id', '=', String(old)).execute();
      await send('PUT', `${sandboxOf().bitrix24.controlUrl}/portals/0/messages/${old}`, { text: 'новая цена 90 ₽' });
      const tooOld = await until(() => notices(6206)[0]);
      assert.match(tooOld.text, /^\[b\]Изменение не доставлено клиенту в MAX\[\/b\]: сообщению больше 7 дней.*новая цена 90 ₽/);

      const editWindowMs = sandboxOf().max.settings.editWindowMs;
      sandboxOf().max.settings.editWindowMs = 1; // MAX's own window has passed, ours not
      try {
        const fresh = await reply(6206, 'доставка завтра');
        await until(() => (botTexts(6206).length === 2 ? true : undefined));
        // Past MAX's window as MAX measures it (routes-messages.ts): the message's age over editWindowMs.
        const sentInMax = botMessages(6206).at(-1)!.message.timestamp;
        await until(() => (Date.now() - sentInMax > sandboxOf().max.settings.editWindowMs * sandboxOf().max.settings.timeFactor ? true : undefined));
        await send('PUT', `${sandboxOf().bitrix24.controlUrl}/portals/0/messages/${fresh}`, { text: 'доставка послезавтра' });
        const refused = await until(() => notices(6206)[1]);
        assert.match(refused.text, /^\[b\]Изменение не доставлено клиенту в MAX\[\/b\]/);
      } finally {
        sandboxOf().max.settings.editWindowMs = editWindowMs;
      }
      assert.deepEqual(botTexts(6206), ['Анна Смирнова:\nстарая цена 100 ₽', 'Анна Смирнова:\nдоставка завтра']);
    });

    test('an operator message event with a wrong application_token: 401, nothing stored, nothing sent', async () => {
      await openDialog(6207, 'Яна');
      await reply(6207, 'настоящий ответ');
      await until(() => (botTexts(6207).length === 1 ? true : undefined));
      type Delivered = { auth: { application_token: string }; data: { MESSAGES: Array<{ im: { message_id: string }; message: { text: string } }> } };
      const deliveries = ((await (await fetch(`${sandboxOf().bitrix24.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; body: Delivered; handler: string }> }).deliveries;
      const original = deliveries.filter((d) => d.event === 'ONIMCONNECTORMESSAGEADD' && d.body.data.MESSAGES[0]?.message.text.endsWith('настоящий ответ')).at(-1)!;
      const forged = structuredClone(original.body);
      forged.auth.application_token = 'not-the-token';
      forged.data.MESSAGES[0]!.im.message_id = '99999001';
      forged.data.MESSAGES[0]!.message.text = 'подделка';
      const eventsBefore = (await store().db.selectFrom('events').select('id').execute()).length;
      const { stringify } = await import('qs');
      const res = await fetch(original.handler, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stringify(forged) });
      assert.equal(res.status, 401);
      await untilIdle(sandboxOf().bridge!, sandboxOf());
      assert.equal((await store().db.selectFrom('events').select('id').execute()).length, eventsBefore, 'nothing stored');
      assert.deepEqual(botTexts(6207), ['Анна Смирнова:\nнастоящий ответ'], 'nothing sent');
    });
  });
}
