/**
 * `doctor` against the emulators over real HTTP and HTTPS on loopback, on SQLite and PostgreSQL:
 * a healthy install (a bridge behind an HTTPS reverse proxy with a certificate made in the test,
 * PUBLIC_URL https://127.0.0.1:<port>) is all green and exits 0; then each fault is named with its
 * fix and a non-zero exit — a revoked bot token, a deleted MAX subscription, an inactive
 * connector, a database behind (and ahead) on migrations, a skewed clock — and a certificate the
 * doctor does not trust. The command itself runs as a child process (its exit codes, --json,
 * --lang en), the way an administrator or a monitoring script runs it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { doctorCommand, diagnose } from '../../src/cli/doctor.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { exitCodeOf, type CheckResult, type DoctorReport } from '../../src/doctor/result.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { openDatabase } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { testEngines, type TestEngine } from '../helpers/databases.ts';
import { makeTestCa, startTlsProxy, type TestCa, type TlsProxy } from '../helpers/doctor-tls.ts';
import { installApp, until } from '../helpers/e2e.ts';

const exec = promisify(execFile);
const SECRET_KEY = 'doctor-e2e-secret-key-0123456789abcdef';
/** The sandbox's one bot (emulators/max: the first bot's user id). */
const BOT_USER_ID = 100_000;

/** Every migration but the newest applied, recorded as the bridge records them: a database an older version left. */
async function migrateAllButLast(engine: TestEngine['name'], url: string): Promise<number> {
  const opened = openDatabase(url);
  try {
    await opened.db.schema.createTable('schema_migrations').ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull()).addColumn('applied_at_ms', 'bigint', (c) => c.notNull()).execute();
    const older = MIGRATIONS.slice(0, -1);
    for (const m of older) {
      await m.up(opened.db, engine);
      await opened.db.insertInto('schema_migrations').values({ id: m.id, name: m.name, applied_at_ms: Date.now() }).execute();
    }
    return MIGRATIONS.at(-1)!.id;
  } finally {
    await opened.close();
  }
}

const byId = (report: DoctorReport, id: string): CheckResult[] => report.results.filter((r) => r.id === id);
const one = (report: DoctorReport, id: string): CheckResult => {
  const found = byId(report, id);
  assert.equal(found.length, 1, `${id}: ${JSON.stringify(report.results.map((r) => r.id))}`);
  return found[0]!;
};
const failing = (report: DoctorReport) => report.results.filter((r) => r.status === 'fail').map((r) => `${r.id} (${r.subject})`);

/** Does the CLI's way, as a child process: `npm run bridge -- doctor …`. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const name of ['CONFIG_FILE', 'MAX_BOT_TOKEN', 'MAX_WEBHOOK_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'DATABASE_URL', 'PUBLIC_URL', 'BRIDGE_SECRET_KEY']) delete base[name];
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'doctor', ...args], { env: { ...base, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let tls: TestCa;
before(async () => {
  tls = await makeTestCa();
});

for (const engine of testEngines()) {
  describe(`doctor against the emulators (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge;
    let proxy: TlsProxy;
    const dir = mkdtempSync(join(tmpdir(), 'bridge-doctor-e2e-'));
    const configFile = join(dir, 'bridge.yaml');
    const caFile = join(dir, 'test-root-ca.pem');
    let databaseUrl = '';
    const env = () => ({ CONFIG_FILE: configFile });
    const run = () => diagnose({ env: env(), extraCaPem: [tls.caPem] });
    const control = async (url: string, method: string, body: unknown) => {
      const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, `${method} ${url}: ${await res.text()}`);
    };
    const writeConfig = (file: string, database: string) => writeFileSync(file, JSON.stringify({
      server: { port: bridgePort, public_url: proxy.url },
      database: { url: database },
      security: { secret_key: SECRET_KEY },
      bots: [{ id: 'main', token: SANDBOX_BOT_TOKEN, api_url: sandbox.max.baseUrl }],
      portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
    }, null, 2));
    let bridgePort = 0;

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      bridgePort = await freePort();
      proxy = await startTlsProxy(tls, () => `http://127.0.0.1:${bridgePort}`);
      databaseUrl = await engine.createDatabase();
      writeConfig(configFile, databaseUrl);
      writeFileSync(caFile, tls.caPem);
      const loaded = loadConfig(env(), (path) => readFileSync(path, 'utf8'));
      assert.ok(loaded.ok, JSON.stringify(loaded));
      bridge = await startBridge(loaded.config, { clock: systemClock });
      // The emulated portal posts the install to the bridge itself (it does not trust the test's CA).
      await installApp(sandbox.bitrix24.controlUrl, bridge.url);
      await until(async () => ((await bridge.store.readiness.lineStates()).length > 0 ? true : undefined));
    });
    after(async () => {
      await bridge?.close();
      await proxy?.close();
      await sandbox?.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a healthy install: every check passes (the loopback address is skipped, with why), exit 0', async () => {
      const refreshesBefore = sandbox.bitrix24.context.refreshCalls.filter((c) => c.ok).length;
      const report = await run();
      assert.deepEqual(failing(report), []);
      assert.deepEqual(report.results.filter((r) => r.status === 'warn').map((r) => r.id), []);
      for (const id of ['config', 'database.reachable', 'database.migrations', 'max.token', 'max.subscription', 'public_url.reachable', 'bitrix24.install', 'bitrix24.tokens', 'bitrix24.connector']) {
        assert.equal(one(report, id).status, 'ok', `${id}: ${one(report, id).problem.en}`);
      }
      assert.deepEqual(byId(report, 'clock.skew').map((r) => [r.subject, r.status]), [['MAX', 'ok'], ['Bitrix24', 'ok']]);
      // The address is not one MAX delivers to (a port, loopback): said, not failed, since only the emulator is involved.
      assert.equal(one(report, 'public_url.address').status, 'skip');
      assert.match(one(report, 'public_url.address').problem.ru, /публичный https-адрес на порту 443/);
      assert.match(one(report, 'public_url.reachable').problem.en, /Doctor Test Root CA/);
      // The tokens were refreshed for real, through the emulated OAuth server.
      assert.equal(sandbox.bitrix24.context.refreshCalls.filter((c) => c.ok).length, refreshesBefore + 1);
      assert.equal(exitCodeOf(report), 0);
    });

    test('the command prints a line per check in Russian and exits 0; --json for monitoring', async () => {
      const out: string[] = [];
      const code = await doctorCommand([], { env: env(), extraCaPem: [tls.caPem], out: (t) => out.push(t), err: (t) => out.push(t) });
      assert.equal(code, 0, out.join('\n'));
      const text = out.join('\n');
      assert.match(text, /^✓ max\.token — bot main: Токен принят/m);
      assert.match(text, /^✓ bitrix24\.connector — portal main, line \d+: Коннектор MAX на линии \d+ активен/m);
      assert.match(text, /^– public_url\.address/m);
      assert.match(text, /Всё в порядке\./);
      const json: string[] = [];
      assert.equal(await doctorCommand(['--json'], { env: env(), extraCaPem: [tls.caPem], out: (t) => json.push(t), err: (t) => json.push(t) }), 0);
      const parsed = JSON.parse(json.join('')) as { status: string; checks: Array<{ id: string; status: string; problem: { ru: string; en: string } }> };
      assert.equal(parsed.status, 'ok');
      assert.ok(parsed.checks.some((c) => c.id === 'max.token' && c.status === 'ok' && c.problem.en.startsWith('The token is accepted')));
    });

    test('a certificate the doctor does not trust: public_url.reachable fails, naming the root and the fix', async () => {
      const report = await diagnose({ env: env() });
      const reachable = one(report, 'public_url.reachable');
      assert.equal(reachable.status, 'fail');
      assert.match(reachable.problem.ru, /Doctor Test Root CA/);
      assert.match(reachable.fix.ru, /публичного УЦ/);
      assert.equal(exitCodeOf(report), 1);
    });

    test('a revoked bot token: max.token fails with the fix, the subscription is not asked, exit 1', async () => {
      await control(`${sandbox.max.controlUrl}/bots/${BOT_USER_ID}/token`, 'PUT', { token: 'reissued-token-0123456789' });
      try {
        const report = await run();
        const token = one(report, 'max.token');
        assert.equal(token.status, 'fail');
        assert.match(token.problem.ru, /MAX не принимает токен бота main \(401 verify\.token\)/);
        assert.match(token.fix.ru, /Выпустите новый токен бота/);
        assert.match(token.fix.en, /Issue a new bot token/);
        assert.equal(one(report, 'max.subscription').status, 'skip');
        assert.deepEqual(failing(report), ['max.token (bot main)']);
        assert.equal(exitCodeOf(report), 1);
      } finally {
        await control(`${sandbox.max.controlUrl}/bots/${BOT_USER_ID}/token`, 'PUT', { token: SANDBOX_BOT_TOKEN });
      }
    });

    test('a deleted subscription: max.subscription fails with the fix, exit 1; the bridge\'s maintenance puts it back', async () => {
      const ours = `${proxy.url}/max/webhook/main`;
      const res = await fetch(`${sandbox.max.baseUrl}/subscriptions?url=${encodeURIComponent(ours)}`, { method: 'DELETE', headers: { authorization: SANDBOX_BOT_TOKEN } });
      assert.equal(res.status, 200);
      const report = await run();
      const subscription = one(report, 'max.subscription');
      assert.equal(subscription.status, 'fail');
      assert.match(subscription.problem.ru, /нет подписки на этот мост/);
      assert.match(subscription.fix.ru, /каждые 10 минут/);
      assert.deepEqual(failing(report), ['max.subscription (bot main)']);
      assert.equal(exitCodeOf(report), 1);
      await bridge.maintain();
      assert.equal(one(await run(), 'max.subscription').status, 'ok');
    });

    test('an inactive connector: bitrix24.connector fails for its line with the fix, exit 1', async () => {
      const [line] = await bridge.store.readiness.lineStates();
      await control(`${sandbox.bitrix24.controlUrl}/portals/0/lines/${line!.lineId}/deactivate`, 'POST', { connector: 'max_bridge' });
      try {
        const report = await run();
        const connector = one(report, 'bitrix24.connector');
        assert.equal(connector.status, 'fail');
        assert.equal(connector.subject, `portal main, line ${line!.lineId}`);
        assert.match(connector.problem.ru, new RegExp(`Коннектор MAX на линии ${line!.lineId} не активен`));
        assert.match(connector.fix.ru, /Контакт-центр/);
        assert.deepEqual(failing(report), [`bitrix24.connector (portal main, line ${line!.lineId})`]);
        assert.equal(exitCodeOf(report), 1);
      } finally {
        sandbox.bitrix24.context.portals[0]!.lines.get(line!.lineId)!.connectors.add('max_bridge');
      }
    });

    test('a skewed clock: 1 minute warns (exit 0), 10 minutes fails for both sides (exit 1), each with the fix', async () => {
      try {
        await control(`${sandbox.max.controlUrl}/clock`, 'PUT', { skewMs: 60_000 });
        const warned = await run();
        assert.deepEqual(byId(warned, 'clock.skew').map((r) => [r.subject, r.status]), [['MAX', 'warn'], ['Bitrix24', 'ok']]);
        assert.match(byId(warned, 'clock.skew')[0]!.problem.ru, /^Часы этой машины отстают от MAX .* на (59|60|61)\.\d с: больше 30 секунд/);
        assert.equal(exitCodeOf(warned), 0);
        await control(`${sandbox.max.controlUrl}/clock`, 'PUT', { skewMs: -600_000 });
        await control(`${sandbox.bitrix24.controlUrl}/clock`, 'PUT', { skewMs: 600_000 });
        const report = await run();
        const [max, bitrix24] = byId(report, 'clock.skew');
        assert.equal(max!.status, 'fail');
        assert.match(max!.problem.ru, /^Часы этой машины спешат относительно MAX .* на (599|600|601)\.\d с: больше 5 минут/);
        assert.equal(bitrix24!.status, 'fail');
        assert.match(bitrix24!.problem.en, /behind Bitrix24/);
        assert.match(bitrix24!.fix.ru, /timedatectl/);
        assert.equal((bitrix24!.details as { skew_ms: number }).skew_ms > 590_000, true);
        assert.deepEqual(failing(report), ['clock.skew (MAX)', 'clock.skew (Bitrix24)']);
        assert.equal(exitCodeOf(report), 1);
      } finally {
        await control(`${sandbox.max.controlUrl}/clock`, 'PUT', { skewMs: 0 });
        await control(`${sandbox.bitrix24.controlUrl}/clock`, 'PUT', { skewMs: 0 });
      }
    });

    test('a database behind on migrations (as the previous version left it) fails with the fix; one ahead too', async () => {
      const olderUrl = await engine.createDatabase();
      const newest = await migrateAllButLast(engine.name, olderUrl);
      const olderConfig = join(dir, 'older.yaml');
      writeConfig(olderConfig, olderUrl);
      const behind = await diagnose({ env: { CONFIG_FILE: olderConfig }, extraCaPem: [tls.caPem] });
      const migrations = one(behind, 'database.migrations');
      assert.equal(migrations.status, 'fail');
      assert.deepEqual((migrations.details as { missing: number[] }).missing, [newest]);
      assert.match(migrations.problem.ru, new RegExp(`не применены миграции ${newest}`));
      assert.match(migrations.fix.ru, /резервную копию/);
      assert.match(migrations.fix.en, /start \(restart\) the bridge of this version/);
      assert.equal(one(behind, 'database.reachable').status, 'ok');
      assert.equal(exitCodeOf(behind), 1);
      // The doctor looks and does not migrate: the database is still behind.
      assert.equal(one(await diagnose({ env: { CONFIG_FILE: olderConfig }, extraCaPem: [tls.caPem] }), 'database.migrations').status, 'fail');
      // A newer version's migration in it: "ahead", an older bridge running on a newer database.
      const opened = openDatabase(olderUrl);
      try {
        await opened.db.insertInto('schema_migrations').values({ id: 999, name: 'from a newer version', applied_at_ms: Date.now() }).execute();
      } finally {
        await opened.close();
      }
      const ahead = one(await diagnose({ env: { CONFIG_FILE: olderConfig }, extraCaPem: [tls.caPem] }), 'database.migrations');
      assert.equal(ahead.status, 'fail');
      assert.match(ahead.problem.en, /ahead of this version .* 999/);
      assert.match(ahead.fix.en, /every process on the same, newer version/);
    });

    test('the command as a child process: --json exits 0 when healthy; a revoked token in English exits 1 with the fix', { skip: engine.name !== 'sqlite' && 'the command is the same on both engines' }, async () => {
      const childEnv = { CONFIG_FILE: configFile, NODE_EXTRA_CA_CERTS: caFile };
      const healthy = await cli(['--json'], childEnv);
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      const parsed = JSON.parse(healthy.stdout) as { status: string; summary: { fail: number } };
      assert.equal(parsed.status, 'ok');
      assert.equal(parsed.summary.fail, 0);
      await control(`${sandbox.max.controlUrl}/bots/${BOT_USER_ID}/token`, 'PUT', { token: 'reissued-token-0123456789' });
      try {
        const broken = await cli(['--lang', 'en'], childEnv);
        assert.equal(broken.code, 1, broken.stdout + broken.stderr);
        assert.match(broken.stdout, /^✗ max\.token — bot main: MAX refuses the token of bot main \(401 verify\.token\)/m);
        assert.match(broken.stdout, /^ {4}Fix: Issue a new bot token/m);
        assert.match(broken.stdout, /There are failures/);
      } finally {
        await control(`${sandbox.max.controlUrl}/bots/${BOT_USER_ID}/token`, 'PUT', { token: SANDBOX_BOT_TOKEN });
      }
    });
  });
}

test('bad usage exits 2 with the usage; --help exits 0', async () => {
  const lines: string[] = [];
  const io = { env: {}, out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
  assert.equal(await doctorCommand(['--bogus'], io), 2);
  assert.match(lines.join('\n'), /npm run bridge -- doctor \[--json\] \[--lang ru\|en\]/);
  assert.equal(await doctorCommand(['--lang', 'de'], io), 2);
  assert.equal(await doctorCommand(['extra'], io), 2);
  assert.equal(await doctorCommand(['--help'], io), 0);
});
