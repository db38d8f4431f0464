/**
 * MAX webhooks while BRIDGE_SECRET_KEY changes: a process holding both keys takes
 * deliveries made with the secret derived from either (MAX sends whichever a process
 * last subscribed with), and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deriveWebhookSecret } from '../../../src/config/schema.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { buildApp } from '../../../src/http/app.ts';
import { maxWebhookPlugin, type MaxWebhookBot } from '../../../src/http/plugins/max-webhook.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const OLD = 'old-secret-key-0123456789';
const NEW = 'new-secret-key-0123456789';
const engine = testEngines()[0]!;
let store: Store;

before(async () => {
  store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
});
after(async () => {
  await store.close();
  await engine.dropAll();
});

const update = (mid: string) => JSON.stringify({
  update_type: 'message_created', timestamp: 1795477449776,
  message: { sender: { user_id: 5001, first_name: 'Иван', is_bot: false }, recipient: { chat_id: 90000001, chat_type: 'dialog' }, timestamp: 1795477449776, body: { mid, seq: 1, text: 'Здравствуйте' } },
});

test('with both keys, the secrets derived from the old and the new key are accepted; any other is 401 and stores nothing', async () => {
  const bot: MaxWebhookBot = {
    id: 'support', secret: deriveWebhookSecret(OLD, 'support'), userId: null,
    alsoAccepted: [deriveWebhookSecret(NEW, 'support'), deriveWebhookSecret(OLD, 'support')],
  };
  const app = buildApp({ bodyLimitBytes: 64 * 1024, plugins: [maxWebhookPlugin({ bots: (id) => (id === bot.id ? bot : undefined), events: store.events, nowMs: () => Date.now() })] });
  const send = (mid: string, secret: string) => app.inject({ method: 'POST', url: '/max/webhook/support', payload: update(mid), headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': secret } });
  assert.equal((await send('mid.old', deriveWebhookSecret(OLD, 'support'))).statusCode, 200);
  assert.equal((await send('mid.new', deriveWebhookSecret(NEW, 'support'))).statusCode, 200);
  const before = await store.events.count('max:support');
  for (const wrong of [deriveWebhookSecret('third-secret-key-0123456789', 'support'), deriveWebhookSecret(NEW, 'sales'), 'x']) {
    const res = await send(`mid.${wrong.slice(0, 4)}`, wrong);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'BRG_ERR_UNAUTHORIZED');
  }
  assert.equal(await store.events.count('max:support'), before, 'nothing stored for refused requests');
  // After the rotation (step 3) the bot has one secret again: the old one is refused at once.
  bot.secret = deriveWebhookSecret(NEW, 'support');
  delete bot.alsoAccepted;
  assert.equal((await send('mid.after-old', deriveWebhookSecret(OLD, 'support'))).statusCode, 401);
  assert.equal((await send('mid.after-new', deriveWebhookSecret(NEW, 'support'))).statusCode, 200);
  await app.close();
});
