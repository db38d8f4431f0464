/**
 * `npm run bridge -- <command>` and `route explain`, as child processes against a
 * temporary CONFIG_FILE holding the routes of the issue (vip, complaints, night,
 * default): where each conversation would go, the exit codes, and the messages that
 * name the fix for a bad call or a bad configuration.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ISSUE_ROUTES_YAML } from '../../fixtures/issue-routes.ts';

const CONFIG = `
server:
  public_url: https://bridge.example.ru
security:
  secret_key: test-secret-key-0123456789
bitrix24:
  client_id: local.test.app
  client_secret: test-app-secret
bots:
  - id: sales
    token: sales-token-0123456789
  - id: support
    token: support-token-0123456789
portals:
  - id: msk
  - id: spb
${ISSUE_ROUTES_YAML.trimStart()}`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A child process to its end (asynchronous, so that independent runs overlap). */
function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A Thursday at noon in Moscow: within the hours. */
const WEEKDAY_NOON = '2026-12-03T12:00:00+03:00';

describe('npm run bridge -- route explain', () => {
  let dir: string;
  let env: Record<string, string>;

  const bridge = (args: string[], extraEnv: Record<string, string> = {}) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', ...args], { ...env, ...extraEnv });
  const explain = (...args: string[]) => bridge(['route', 'explain', ...args]);
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'brg-route-explain-'));
    env = { PATH: process.env.PATH ?? '', CONFIG_FILE: file('bridge.yaml', CONFIG) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a vip_1 payload goes to vip; «У меня ЖАЛОБА» to complaints; Saturday 23:00 in Moscow to night; the rest to default', async () => {
    const [vip, complaint, night, other] = await Promise.all([
      explain('--bot', 'sales', '--payload', 'vip_1', '--at', WEEKDAY_NOON),
      explain('--bot', 'sales', '--text', 'У меня ЖАЛОБА', '--at', WEEKDAY_NOON),
      explain('--bot', 'support', '--text', 'Здравствуйте', '--at', '2026-12-05T23:00:00+03:00', '--lang', 'en'),
      explain('--bot', 'sales', '--text', 'Здравствуйте', '--at', WEEKDAY_NOON, '--json'),
    ]);
    assert.equal(vip.status, 0, vip.stderr);
    assert.match(vip.stdout, /маршрут vip: start_payload «vip_1» подходит под \^vip_\n\s+выбрана линия msk:3/);

    assert.equal(complaint.status, 0, complaint.stderr);
    assert.match(complaint.stdout, /маршрут vip не подошёл: start_payload нет/);
    assert.match(complaint.stdout, /маршрут complaints: текст «У меня ЖАЛОБА» подходит под \(жалоб\|претензи\)\n\s+выбрана линия msk:5/);

    assert.equal(night.status, 0, night.stderr);
    assert.match(night.stdout, /route night: now 2026-12-05 sat 23:00 — outside mon-fri 09:00–18:00 Europe\/Moscow\n\s+line spb:2 chosen/);

    assert.equal(other.status, 0, other.stderr);
    const json = JSON.parse(other.stdout) as { route: string; target: unknown; via: string; considered: Array<{ route: string; matched: boolean }> };
    assert.deepEqual({ route: json.route, target: json.target, via: json.via }, { route: 'default', target: { portal: 'msk', line_id: 1 }, via: 'pick' });
    assert.deepEqual(json.considered.map((c) => [c.route, c.matched]), [['vip', false], ['complaints', false], ['night', false], ['default', true]]);
  });

  test('--update reads a MAX update as MAX sends it; its timestamp is the moment unless --at says otherwise', async () => {
    const saturdayNight = Date.parse('2026-12-05T23:00:00+03:00');
    const started = file('bot-started.json', { update_type: 'bot_started', timestamp: saturdayNight, chat_id: 5, user: { user_id: 7, first_name: 'Анна' }, payload: 'vip_1', user_locale: 'ru' });
    const message = file('message.json', {
      update_type: 'message_created', timestamp: saturdayNight, user_locale: 'ru',
      message: { sender: { user_id: 7 }, recipient: { chat_id: 5, chat_type: 'dialog' }, timestamp: saturdayNight, body: { mid: 'mid.1', seq: 1, text: 'Здравствуйте' } },
    });
    const [vip, night, noon] = await Promise.all([
      explain('--update', started, '--bot', 'sales', '--json'),
      explain('--update', message, '--bot', 'support'),
      explain('--update', message, '--bot', 'support', '--at', WEEKDAY_NOON),
    ]);
    assert.equal(vip.status, 0, vip.stderr);
    assert.equal((JSON.parse(vip.stdout) as { route: string }).route, 'vip');
    assert.match(night.stdout, /маршрут night: сейчас 2026-12-05 sat 23:00/);
    assert.match(noon.stdout, /маршрут default: без условий/);
  });

  test('bad usage exits 2 with a message naming the fix; a bad configuration prints the loader\'s messages and exits 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bot', 'sales', '--payloa', 'vip_1'], /unknown option --payloa; fix: did you mean --payload\?/],
      [['--bot', 'sale'], /no bot has the id "sale"; fix: did you mean --bot sales\?/],
      [['--text', 'привет'], /which bot\? fix: add --bot with one of: sales, support/],
      [['--bot', 'sales', '--chat-type', 'group'], /--chat-type "group" is not a chat type; fix: write --chat-type dialog/],
      [['--bot', 'sales', '--at', '2026-12-05 23:00'], /is not a moment with its time zone offset; fix: write e\.g\. --at 2026-12-03T20:00:00\+03:00/],
      [['--bot', 'sales', '--lang', 'de'], /fix: write --lang ru \(the default\) or --lang en/],
      [['--bot', 'sales', '--update', join(dir, 'missing.json')], /--update: cannot read .*; fix: give the path of a JSON file/],
      [['--bot', 'sales', '--update', file('two.json', { updates: [] })], /is not a MAX update \(an object with update_type\); fix:/],
      [['--bot', 'sales', '--update', file('bad.json', '{'), '--text', 'x'], /--update reads the text.*--text would be ignored; fix: drop it, or drop --update/],
      [['--bot', 'sales', '--tags', 'vip,два слова'], /--tags: "два слова" may hold only letters.*; fix: write tags separated by commas/],
    ];
    const results = await Promise.all(cases.map(([args]) => explain(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i]!;
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
      assert.match(result.stderr, /Использование \/ usage:/, 'the usage follows');
    }
    const tagged = await explain('--bot', 'sales', '--tags', 'vip, gold', '--at', WEEKDAY_NOON);
    assert.equal(tagged.status, 0, tagged.stderr);
    assert.match(tagged.stdout, /· метки vip, gold ·/, 'the tags are part of the sample');
    assert.match((await bridge(['route', 'expalin'])).stderr, /unknown subcommand "expalin"; fix: did you mean "route explain"\?/);

    const unknownPortal = file('unknown-portal.yaml', CONFIG.replace('to: { portal: spb, line_id: 2 }', 'to: { portal: kzn, line_id: 2 }'));
    const refused = await bridge(['route', 'explain', '--bot', 'sales'], { CONFIG_FILE: unknownPortal });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /Конфигурация содержит ошибки \(1\)/);
    assert.match(refused.stderr, /routes\[2\]\.to\.portal \(line \d+\): no portal has the id "kzn"; fix: use one of msk, spb/);
  });
});

describe('npm run bridge -- <command>', () => {
  const npm = (args: string[], env: Record<string, string> = {}) =>
    run('npm', ['run', '--silent', 'bridge', '--', ...args], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env });
  const bridge = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', ...args], { PATH: process.env.PATH ?? '' });

  test('--help lists every command, one line each; no command prints it and exits 2', async () => {
    const [help, none] = await Promise.all([npm(['--help']), bridge()]);
    assert.equal(help.status, 0, help.stderr);
    for (const command of ['start', 'check-config', 'dead-letters', 'emulator', 'sandbox', 'route explain']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b.* / `, 'm'), command);
    }
    assert.equal(none.status, 2);
    assert.match(none.stderr, /Использование \/ usage: npm run bridge -- <команда \/ command>/);
  });

  test('an unknown command exits 2 with the nearest one; a command\'s --help does not run it', async () => {
    const [unknown, startHelp] = await Promise.all([bridge('chek-config'), bridge('start', '--help')]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "chek-config"; fix: did you mean "check-config"\?/);
    assert.equal(startHelp.status, 0);
    assert.match(startHelp.stdout, /npm run bridge -- start\n/);
  });

  test('check-config runs the existing check, with its output and exit codes', async () => {
    const [ok, bad] = await Promise.all([npm(['check-config']), npm(['check-config'], { MAX_BOT_TOKEN: 'token-0123456789', PORT: '99999' })]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Конфигурация в порядке \(песочница/);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /server\.port \(env PORT\)/);
  });
});
