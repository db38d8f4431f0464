/**
 * `npm run bridge -- export …` as a child process against a real SQLite store holding the
 * scripted world (test/helpers/export-seed.ts): --help (Russian first), bad input (exit 2, the
 * fix named, nothing written), an export to a file (the same bytes as the admin API's, plain
 * progress lines with the percentage on stderr: not a terminal, no `.partial` left), the
 * `--json` summary, an export to stdout, and `export views` (made, or printed with --sql).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { exportBytes } from '../../../src/hooks/export-stream.ts';
import { privacyHashKey } from '../../../src/journal/hash-key.ts';
import { createMasker, DEFAULT_MASKING } from '../../../src/journal/masking.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { FROM_MS, seedScripted, TO_MS } from '../../helpers/export-seed.ts';

function exportCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'export', ...args], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('export CLI', () => {
  const sqlite = testEngines()[0]!;
  let url: string;
  let env: Record<string, string>;
  let dir: string;
  let store: Store;
  before(async () => {
    url = await sqlite.createDatabase();
    env = { DATABASE_URL: url, BRIDGE_SECRET_KEY: TEST_SECRET_KEY };
    dir = mkdtempSync(join(tmpdir(), 'bridge-export-cli-'));
    store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
    await seedScripted(store);
  });
  after(async () => {
    await store.close();
    await sqlite.dropAll();
  });

  test('--help: the usage, Russian first', () => {
    const help = exportCli(['--help'], env);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Использование \/ usage:\n {2}npm run bridge -- export messages\|conversations\|journal --from <time>/);
    assert.ok(help.stdout.indexOf('строки за период') < help.stdout.indexOf('the rows of a time range'));
  });

  test('bad input: exit 2, the fix named, nothing written', () => {
    const out = join(dir, 'bad.ndjson');
    const cases: Array<[string[], RegExp]> = [
      [['chats', '--from', '2026-12-01', '--out', out], /unknown kind "chats"; fix: one of conversations, messages, journal, views/],
      [['mesages', '--from', '2026-12-01', '--out', out], /unknown kind "mesages"; fix: did you mean "messages"\?/],
      [['messages', '--out', out], /--from is required: start time/],
      [['messages', '--from', '2026-13-45', '--out', out], /--from: "2026-13-45" is not start time/],
      [['messages', '--from', '2026-12-02', '--to', '2026-12-01', '--out', out], /--to must be later than from/],
      [['messages', '--from', '2026-12-01', '--format', 'xlsx', '--out', out], /--format: "xlsx" is not ndjson or csv/],
      [['messages', '--from', '2026-12-01', '--out', join(dir, 'no-such-folder', 'x.ndjson')], /--out: the folder .*no-such-folder does not exist; fix: create it first/],
      [['messages', '--from', '2026-12-01', '--out', dir], /is a folder; fix: give a file name/],
      [['messages', '--form', '2026-12-01'], /Unknown option '--form'/],
      [['messages', 'journal', '--from', '2026-12-01'], /one kind at a time/],
      [['views', '--from', '2026-12-01'], /export views takes only --sql/],
      [[], /what to export\? fix: one of conversations, messages, journal, views/],
    ];
    for (const [args, message] of cases) {
      const r = exportCli(args, env);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /Использование \/ usage/);
      assert.equal(r.stdout, '');
    }
    const noKey = exportCli(['messages', '--from', '2026-12-01', '--out', out], { DATABASE_URL: url });
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /BRIDGE_SECRET_KEY/);
    assert.equal(existsSync(out), false, 'nothing written');
  });

  test('to a file: the admin API\'s bytes, progress on stderr, the file whole or not at all', async () => {
    const out = join(dir, 'messages.csv');
    const r = exportCli(['messages', '--from', '2026-12-01', '--to', '2026-12-02', '--format', 'csv', '--bom', '--out', out], env);
    assert.equal(r.status, 0, r.stderr);
    let expected = '';
    const masker = createMasker(DEFAULT_MASKING, privacyHashKey(TEST_SECRET_KEY));
    for await (const chunk of exportBytes(store, masker, { kind: 'messages', fromMs: FROM_MS, toMs: TO_MS, format: 'csv', bom: true })) expected += chunk;
    assert.equal(readFileSync(out, 'utf8'), expected);
    assert.match(r.stderr, /^выгрузка \/ export messages: 6\/6 100%$/m, 'a plain line off a terminal, with the percentage');
    assert.match(r.stderr, /Записано \/ written: .*messages\.csv — 6 строк \/ rows, \d+ байт \/ bytes/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.partial')), []);
  });

  test('--json: the summary as one object on stdout; without --out the rows go to stdout', () => {
    const out = join(dir, 'conversations.ndjson');
    const r = exportCli(['conversations', '--from', '2026-12-01', '--to', '2026-12-02', '--out', out, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual({ ...summary, duration_ms: 0 }, {
      kind: 'conversations', format: 'ndjson', from: new Date(FROM_MS).toISOString(), to: new Date(TO_MS).toISOString(),
      rows: 2, bytes: statSync(out).size, out, duration_ms: 0,
    });
    const piped = exportCli(['conversations', '--from', '2026-12-01', '--to', '2026-12-02'], env);
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout, readFileSync(out, 'utf8'));
    assert.deepEqual(piped.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id), ['shop:101', 'shop:102']);
  });

  test('export views: made under the configured policy; --sql prints the statements', async () => {
    const printed = exportCli(['views', '--sql'], env);
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /create view "bi_conversations" as select/i);
    await assert.rejects(sql`select 1 from bi_conversations`.execute(store.db), 'printing made nothing');
    const made = exportCli(['views'], env);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /views replaced: bi_conversations, bi_messages, bi_journal \(privacy: phone masked, email masked, name masked, text none, file masked/);
    const rows = (await sql<{ client_phone: string }>`select client_phone from bi_conversations where id = 'shop:101'`.execute(store.db)).rows;
    assert.deepEqual(rows, [{ client_phone: '+7 *** ***-**-67' }]);
  });
});
