/**
 * `npm run bridge -- purge` as a child process against a real SQLite store holding rows on
 * both sides of the default retention: --help (Russian, then English), a bad argument (exit
 * 2 with the usage), no key (exit 2), a dry run that counts and changes nothing, then the
 * purge, which deletes exactly what the dry run counted (plain progress lines on stderr:
 * not a terminal), and a second dry run with nothing left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { conversationQueue } from '../../../src/queue/job-kinds.ts';
import { makeConversationId, parseBotId } from '../../../src/domain/ids.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const DAY = 86_400_000;

function purge(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'purge', ...args], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env },
  });
}

/** The count the command printed for a target (its line ends with the target's name). */
function countOf(stdout: string, target: string): number {
  const line = stdout.split('\n').find((l) => l.trimEnd().match(new RegExp(`\\s(\\d+)\\s+${target} \\(`)));
  assert.ok(line, `no line for ${target} in:\n${stdout}`);
  return Number(/\s(\d+)\s+\w+ \(/.exec(line)?.[1]);
}

test('purge: --help, a bad argument, no key, a dry run that changes nothing, the purge; exit codes 0 and 2', async () => {
  const sqlite = testEngines()[0]!;
  const url = await sqlite.createDatabase();
  const env = { DATABASE_URL: url, BRIDGE_SECRET_KEY: TEST_SECRET_KEY };
  const now = Date.now();
  const idle = makeConversationId(parseBotId('shop'), '1');
  const busy = makeConversationId(parseBotId('shop'), '2');
  const seed = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
  const rows = async () => ({
    journal: Number((await seed.db.selectFrom('journal').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    events: Number((await seed.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    conversations: (await seed.db.selectFrom('conversations').select('id').orderBy('id').execute()).map((r) => r.id),
    messages: (await seed.db.selectFrom('messages').select('conversation_id').orderBy('conversation_id').execute()).map((r) => r.conversation_id),
  });
  try {
    // Defaults: journal 90 days, events 30, messages 365 (at least max.downtime_catchup_days, 7).
    for (const atMs of [now - 100 * DAY, now - 100 * DAY, now - DAY]) {
      await seed.db.insertInto('journal').values({ at_ms: atMs, side: 'max', direction: 'out', method: 'POST', endpoint: '/messages', status: 200, duration_ms: 3 }).execute();
    }
    for (const [key, atMs] of [['old', now - 40 * DAY], ['new', now - DAY]] as const) {
      await seed.db.insertInto('events').values({ source: 'max:shop', kind: 'message_created', dedupe_key: key, raw: '{}', received_at_ms: atMs }).execute();
    }
    for (const id of [idle, busy]) {
      await seed.db.insertInto('conversations').values({
        id, bot_id: 'shop', max_chat_id: id.slice(5), max_user_id: '7', line_ref: 'main:1', state: 'active', source_json: null, bitrix_chat_id: null,
        bitrix_session_id: null, profile_json: null, last_inbound_key: null, route_name: null, route_json: null, created_at_ms: now - 400 * DAY, updated_at_ms: now - 400 * DAY,
      }).execute();
      await seed.db.insertInto('messages').values({ conversation_id: id, direction: 'in', max_mid: `mid.${id}`, bitrix_message_id: null, state: 'delivered', created_at_ms: now - 400 * DAY, updated_at_ms: now - 400 * DAY }).execute();
    }
    // Work still to do for the busy one: nothing of it goes.
    await seed.jobs.enqueue({ kind: 'max.update', conversationKey: conversationQueue(busy), payload: { botId: 'shop' } });
    const before = await rows();

    const help = purge(['--help'], env);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Использование \/ usage: npm run bridge -- purge \[--dry-run\]/);
    assert.ok(help.stdout.indexOf('Удалить данные старше') < help.stdout.indexOf('Delete what is older'), 'Russian first, then English');

    const bad = purge(['--dryrun'], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument "--dryrun"; fix: did you mean "--dry-run"\?/);
    assert.match(bad.stderr, /Использование \/ usage/);

    const noKey = purge(['--dry-run'], { DATABASE_URL: url });
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /BRIDGE_SECRET_KEY/);

    const dry = purge(['--dry-run'], env);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /journal\.retention_days 90/);
    assert.match(dry.stdout, /retention\.messages_days 365/);
    assert.match(dry.stdout, /dry run, nothing deleted/);
    const planned = { journal: countOf(dry.stdout, 'journal'), events: countOf(dry.stdout, 'events'), messages: countOf(dry.stdout, 'messages'), conversations: countOf(dry.stdout, 'conversations') };
    assert.deepEqual(planned, { journal: 2, events: 1, messages: 1, conversations: 1 });
    assert.deepEqual(await rows(), before, 'the dry run changed nothing');

    const real = purge([], env);
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, /rows deleted/);
    assert.deepEqual({ journal: countOf(real.stdout, 'journal'), events: countOf(real.stdout, 'events'), messages: countOf(real.stdout, 'messages'), conversations: countOf(real.stdout, 'conversations') }, planned);
    assert.match(real.stderr, /^удаление \/ purge: 5\/5/m, 'plain progress lines when stderr is not a terminal');
    assert.deepEqual(await rows(), { journal: 1, events: 1, conversations: [busy], messages: [busy] });

    const again = purge(['--dry-run'], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /всего \/ total\s+0$/m);
  } finally {
    await seed.close();
    await sqlite.dropAll();
  }
});
