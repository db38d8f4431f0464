/**
 * The CRM steps one at a time, end to end (bridge + emulators over HTTP, SQLite and
 * PostgreSQL): `ask_phone` sends MAX's request-contact button to a new client and the phone
 * the client shares as their own lands on their lead (a card of someone else, or one of the
 * company's own numbers, never does); a line that never binds the dialog ends, after
 * `verify_timeout_seconds`, in a notice in the line and a dead letter BRG_ERR_CRM_NOT_BOUND
 * that, replayed once the line binds, completes; a bridge-driven route on a line whose own
 * creation was switched back on adopts the line's lead instead of making a second.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConversationId } from '../../src/domain/ids.ts';
import { CRM_SESSION_JOB } from '../../src/queue/job-kinds.ts';
import type { CrmLink } from '../../src/store/repos/crm-link-repo.ts';
import { bridgeWorldFor, webhookBridgeConfig, type BridgeWorld } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';

const portalOf = (w: BridgeWorld) => w.sandbox.bitrix24.context.portals[0]!;
const lineChatOf = (w: BridgeWorld, userId: number) => [...portalOf(w).chats.values()].find((c) => c.externalUserId === String(userId));

async function write(w: BridgeWorld, user: { user_id: number; first_name: string }, body: Record<string, unknown>) {
  return postOk(`${w.sandbox.max.controlUrl}/messages`, { user, ...body });
}

async function boundLink(w: BridgeWorld, conversationId: string, sessions = 1): Promise<CrmLink> {
  return until(async () => {
    const rows = (await w.bridge.store.crmLinks.all()).filter((l) => l.conversationId === conversationId);
    return rows.length === sessions && rows.every((r) => r.state === 'bound') ? rows[sessions - 1] : undefined;
  }, 60_000);
}

function worldWith(engine: Parameters<typeof bridgeWorldFor>[0], crm: Record<string, unknown>, routeCrm?: Record<string, unknown>) {
  return bridgeWorldFor(engine, {
    bitrix24TimeFactor: 0.05,
    config: (sandbox, port) => webhookBridgeConfig(sandbox, port, {
      security: { secret_key: 'crm-steps-secret-key-0123456789' },
      crm,
      routes: [{ name: 'main', bot: '*', to: { portal: 'main' }, ...(routeCrm ? { crm: routeCrm } : {}) }],
    }),
  });
}

for (const engine of testEngines()) {
  describe(`CRM: asking for the phone (${engine.name})`, () => {
    const world = worldWith(engine, { mode: 'lead', ask_phone: true, ask_phone_wait_seconds: 30, own_phones: ['+7 495 000-00-01'] });

    test('a new client is asked with the request-contact button, and their own shared phone finds its way onto their lead', async () => {
      const w = world();
      const user = { user_id: 8_800_001, first_name: 'Ирина' };
      await postOk(`${w.sandbox.max.controlUrl}/bot-started`, { user, payload: 'utm_source=site' });
      await write(w, user, { text: 'Здравствуйте' });
      const ask = await until(() => [...w.sandbox.max.world.messages.values()].find((m) => m.fromBot && JSON.stringify(m.message.body.attachments ?? []).includes('request_contact')));
      assert.match(String(ask.message.body.text), /номером телефона/);
      // While the step waits for the phone, nothing is created.
      assert.equal(portalOf(w).crm.lead.size, 0);
      // A card of someone else, then one of the company's own numbers: neither is the client's.
      await write(w, user, { attachments: [{ type: 'contact', name: 'Сосед', phone: '+79990001122', user_id: 8_800_999 }] });
      await write(w, user, { attachments: [{ type: 'contact', name: 'Офис', phone: '+74950000001' }] });
      await write(w, user, { attachments: [{ type: 'contact', name: 'Ирина', phone: '+7 916 555-44-33', user_id: user.user_id }] });
      const chat = await until(() => lineChatOf(w, user.user_id));
      const link = await boundLink(w, chat.externalChatId);
      assert.equal(link.how, 'created');
      const lead = portalOf(w).crm.lead.get(link.leadId ?? 0);
      assert.ok(lead);
      assert.deepEqual((lead.PHONE as Array<{ VALUE: string }>).map((p) => p.VALUE), ['+79165554433']);
      assert.equal(lead.UTM_SOURCE, 'site');
      assert.equal(portalOf(w).crm.lead.size, 1);
      const conversation = await w.bridge.store.conversations.get(parseConversationId(chat.externalChatId)!);
      assert.equal(conversation?.clientPhone, '+79165554433');
      // Every CRM call is journaled with the conversation's ids.
      const rows = (await w.bridge.store.journal.search({ conversationId: chat.externalChatId, limit: 500 })).rows;
      for (const method of ['imopenlines.dialog.get', 'crm.lead.list', 'crm.lead.add', 'crm.timeline.comment.add']) {
        assert.ok(rows.some((r) => r.endpoint === method && r.side === 'bitrix24'), `journal has ${method}`);
      }
      // Asked once.
      assert.equal([...w.sandbox.max.world.messages.values()].filter((m) => m.fromBot && JSON.stringify(m.message.body.attachments ?? []).includes('request_contact')).length, 1);
    });
  });

  describe(`CRM: a binding that never comes (${engine.name})`, () => {
    const world = worldWith(engine, { mode: 'line', verify_timeout_seconds: 10 });

    test('ends in a notice in the line and a dead letter, which replayed once the line binds completes', { timeout: 90_000 }, async () => {
      const w = world();
      const portal = portalOf(w);
      // The line looks for nobody and creates nothing.
      for (const line of portal.lines.values()) line.crm = 'N';
      const user = { user_id: 8_800_002, first_name: 'Олег' };
      await write(w, user, { text: 'Есть кто?' });
      const chat = await until(() => lineChatOf(w, user.user_id));
      const dead = await until(async () => (await w.bridge.store.deadLetters.list()).find((d) => d.kind === CRM_SESSION_JOB), 60_000);
      assert.equal(dead.errorCode, 'BRG_ERR_CRM_NOT_BOUND');
      assert.match(String(dead.error), /not bound to a CRM object/);
      const notice = chat.messageIds.map((id) => portal.messages.get(id)).find((m) => m?.system && m.text.includes('CRM'));
      assert.ok(notice, 'the operator is told in the line');
      const failed = (await w.bridge.store.crmLinks.all()).find((l) => l.conversationId === chat.externalChatId);
      assert.equal(failed?.state, 'failed');
      // The line is fixed; the client writes again and the line binds the dialog; the dead letter is replayed.
      for (const line of portal.lines.values()) line.crm = 'Y';
      await write(w, user, { text: 'Алло' });
      await until(() => (chat.crm.LEAD > 0 ? true : undefined), 30_000);
      assert.equal(await w.bridge.store.deadLetters.replay(dead.id), true);
      const link = await boundLink(w, chat.externalChatId);
      assert.equal(link.how, 'line');
      assert.equal(link.leadId, chat.crm.LEAD);
    });
  });

  describe(`CRM: a line that creates again although the route makes the objects (${engine.name})`, () => {
    const world = worldWith(engine, { mode: 'line' }, { mode: 'lead' });

    test('the session adopts the line\'s lead, makes none of its own, and the log says how to fix the line', { timeout: 90_000 }, async () => {
      const w = world();
      const portal = portalOf(w);
      // Setup switched creation off on the route's line; someone switches it back on.
      const lines = await until(() => {
        const active = [...portal.lines.values()].filter((l) => l.connectors.size > 0);
        return active.length > 0 && active.every((l) => l.crmCreate === 'none') ? active : undefined;
      });
      for (const line of lines) line.crmCreate = 'lead';
      const user = { user_id: 8_800_003, first_name: 'Анна' };
      await write(w, user, { text: 'Добрый день' });
      const chat = await until(() => lineChatOf(w, user.user_id));
      const link = await boundLink(w, chat.externalChatId);
      assert.equal(link.how, 'line');
      assert.equal(portal.crm.lead.size, 1);
      assert.equal(link.leadId, [...portal.crm.lead.keys()][0]);
      assert.ok(w.logLines.some((l) => String(l.msg).includes('creates CRM objects itself')), 'a warning names the fix');
    });
  });
}
