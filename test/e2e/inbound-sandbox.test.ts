/**
 * End to end over HTTP (bridge + both emulators, SQLite): installing the app
 * sets up the connector; a client's message in MAX appears in the Open Line with
 * a CRM lead; a redelivered update changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';

let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const b24 = async (path: string) => (await (await fetch(`${sandbox.bitrix24.controlUrl}${path}`)).json()) as Record<string, unknown>;
const maxCtl = (path: string, body: unknown) =>
  fetch(`${sandbox.max.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

test('install sets up the connector on a line and binds events once', async () => {
  const state = await until(async () => {
    const s = (await b24('/state')) as { portals: Array<{ lines: Array<{ ID: string; connectors: string[] }> }> };
    return s.portals[0]?.lines.some((l) => l.connectors.includes('max_bridge')) ? s : undefined;
  });
  assert.ok(state);
  const bindings = (await b24('/portals/0/bindings')).bindings as Array<{ event: string }>;
  assert.equal(bindings.filter((b) => b.event === 'ONIMCONNECTORMESSAGEADD').length, 1);
});

test('a client message in MAX appears in the Open Line, formatted, with a CRM lead', async () => {
  await maxCtl('/bot-started', { user: { user_id: 5001, first_name: 'Иван', last_name: 'Петров' }, payload: 'utm_source=site' });
  await maxCtl('/messages', { user: { user_id: 5001 }, text: 'Здравствуйте, нужна помощь', markup: [{ type: 'strong', from: 0, length: 12 }] });
  const chat = await until(async () => {
    const chats = (await b24('/portals/0/chats')).chats as Array<{ messages: Array<{ text: string }>; crm: { LEAD: number }; externalUser: { name: string } }>;
    return chats.find((c) => c.messages.some((m) => m.text.includes('нужна помощь')));
  });
  assert.equal(chat.messages.at(-1)?.text, '[b]Здравствуйте[/b], нужна помощь');
  assert.equal(chat.externalUser.name, 'Иван');
  assert.ok(chat.crm.LEAD > 0, 'the CRM tracker created a lead');
});

test('a redelivered update changes nothing', async () => {
  const before = (await b24('/portals/0/chats')).chats as Array<{ messages: unknown[] }>;
  const count = before.reduce((n, c) => n + c.messages.length, 0);
  const updates = ((await (await fetch(`${sandbox.max.controlUrl}/updates`)).json()) as { updates: Array<{ update: Record<string, unknown> }> }).updates;
  const created = updates.find((u) => u.update.update_type === 'message_created')!.update;
  const res = await fetch(`${sandbox.bridge!.url}/max/webhook/sandbox`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': 'sandbox_webhook_secret' }, body: JSON.stringify(created),
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { duplicate: boolean }).duplicate, true);
  await new Promise((r) => setTimeout(r, 500));
  const afterChats = (await b24('/portals/0/chats')).chats as Array<{ messages: unknown[] }>;
  assert.equal(afterChats.reduce((n, c) => n + c.messages.length, 0), count);
});
