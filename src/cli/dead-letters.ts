/**
 * `npm run dead-letters -- list | replay <id> | replay --all [--code CODE]`
 * Lists and replays dead letters (jobs that failed for good) in the store
 * named by DATABASE_URL (default .data/bridge.sqlite) with BRIDGE_SECRET_KEY.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../domain/clock.ts';
import { openStore } from '../store/open-store.ts';

const USAGE = 'usage: npm run dead-letters -- list | replay <id> | replay --all [--code BRG_ERR_...]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false }, code: { type: 'string' } } });
  const [command, id] = positionals;
  if (command !== 'list' && command !== 'replay') {
    console.error(`dead-letters: ${command ? `unknown command "${command}"` : 'which command?'}\n${USAGE}`);
    return 2;
  }
  if (command === 'replay' && !values.all && !/^\d+$/.test(id ?? '')) {
    console.error(`dead-letters: replay needs a job id or --all\n${USAGE}`);
    return 2;
  }
  const secretKey = process.env.BRIDGE_SECRET_KEY;
  if (!secretKey) {
    console.error('dead-letters: BRIDGE_SECRET_KEY is not set (the same key the bridge runs with)');
    return 2;
  }
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL ?? '.data/bridge.sqlite', secretKey, clock: systemClock });
  try {
    if (command === 'list') {
      const letters = await store.deadLetters.list(1_000);
      if (letters.length === 0) console.log('Недоставленных заданий нет. No dead letters.');
      for (const l of letters) {
        console.log(`${l.id}\t${l.kind}\t${l.conversationKey}\t${l.errorCode ?? ''}\t${new Date(l.diedAtMs).toISOString()}\t${l.error ?? ''}`);
      }
      return 0;
    }
    if (values.all) {
      console.log(`replayed ${await store.deadLetters.replayAll(values.code)}`);
      return 0;
    }
    if (!(await store.deadLetters.replay(Number(id)))) {
      console.error(`dead-letters: no dead letter with id ${id} (see: npm run dead-letters -- list)`);
      return 1;
    }
    console.log(`replayed ${id}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`dead-letters: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
