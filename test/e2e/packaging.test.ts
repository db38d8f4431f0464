/**
 * The packaging (Dockerfile, deploy/compose.yaml, the systemd unit, the example production
 * configurations), checked as far as possible without Docker, which does not run on the
 * test machines (docs/deployment.md says what is checked here and what is not):
 * - the Dockerfile's stages run the real commands, and copy only what exists and what
 *   .dockerignore lets in; the build stage's command, run on its COPYs alone, makes the bundle;
 * - the image's commands run outside Docker on a copy of its /app: production dependencies
 *   only (package-lock.json's non-dev packages, as `npm ci --omit=dev` installs them), the
 *   environment of the image, deploy/bridge.env.example and the compose service. Its CMD
 *   starts the bridge on a database of the previous version (the backup reminder is logged,
 *   the migration applied), /health answers; the HEALTHCHECK command exits 0, then 1 once the
 *   bridge stopped on SIGTERM; compose's `migrate` command finds nothing left to apply; the
 *   bridge writes nothing in /app;
 * - the compose file's services, files and profiles hang together; the Caddyfile's upstreams
 *   are the profile's bridges; the example configurations pass the configuration loader;
 * - the systemd unit has its keys and passes `systemd-analyze verify` where it exists.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../../bench/child-process.ts';
import { startMaxEmulator } from '../../emulators/max/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { engineOf } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import {
  copiesOf, dockerignoreAllows, envOf, execForm, instructionsOf, parseDockerfile, parseEnvFile, parseUnit, type Stage,
} from '../helpers/dockerfile.ts';
import { databaseAtMigration, PREVIOUS_VERSION_MIGRATION } from '../helpers/older-database.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const stages = parseDockerfile(read('Dockerfile'));
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  assert.ok(found, `the Dockerfile has no stage "${name}"`);
  return found;
};
const runtime = stages[stages.length - 1] as Stage;
const WORKDIR = instructionsOf(runtime, 'WORKDIR')[0] ?? '/';

interface ComposeService {
  profiles?: string[]; build?: { context: string; dockerfile?: string }; image?: string; env_file?: string | string[];
  environment?: Record<string, string>; volumes?: string[]; command?: string[]; depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test?: string[]; disable?: boolean };
}
const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const bridgesOf = (profile: string) => services.filter(([name, s]) => s.profiles?.includes(profile) && s.image === compose.services.bridge?.image && name !== 'migrate');

/** The runtime's `ln -s <target> <dir>/<name>`: the installed command. */
function commandLink(): { target: string; dir: string; name: string } {
  const ln = instructionsOf(runtime, 'RUN').flatMap((r) => [...r.matchAll(/\bln -s (\S+) (\S+)/g)]);
  assert.equal(ln.length, 1, 'the runtime links one command');
  const [, target = '', path = ''] = ln[0] as RegExpMatchArray;
  return { target, dir: dirname(path), name: path.split('/').pop() as string };
}

/** A stage's COPYs from the build context, into `dir` standing for its WORKDIR. */
function copyFromContext(from: Stage, dir: string): void {
  for (const copy of copiesOf(from).filter((c) => c.from === null)) {
    for (const source of copy.sources) {
      const many = copy.sources.length > 1 || copy.destination.endsWith('/');
      cpSync(join(ROOT, source), many ? join(dir, copy.destination, source.split('/').pop() as string) : join(dir, copy.destination), { recursive: true });
    }
  }
}

/** Packages `npm ci --omit=dev` installs at the top of node_modules (package-lock.json's non-dev ones). */
function productionPackages(): string[] {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('/node_modules/') && p.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length));
}

test('the Dockerfile: dependencies and the build in their own stages, a slim runtime with production dependencies only, non-root, health check, volume, port', () => {
  assert.deepEqual(stages.map((s) => s.name), ['deps', 'build', 'runtime']);
  assert.match(runtime.from, /^node:20-bookworm-slim$/, 'the runtime is the slim image of the Node the project tests on');
  assert.ok(instructionsOf(stage('deps'), 'RUN').some((r) => /\bnpm ci --omit=dev\b/.test(r)), 'deps installs production dependencies only');
  const buildRuns = instructionsOf(stage('build'), 'RUN');
  assert.ok(buildRuns.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit')), 'build installs every dependency (esbuild)');
  assert.ok(buildRuns.includes('node scripts/build.mjs'), 'build runs the build npm start runs');
  // The runtime installs nothing: it takes node_modules from deps and dist/ from build.
  assert.deepEqual(instructionsOf(runtime, 'RUN').filter((r) => /\bnpm\b/.test(r)), []);
  const fromStages = copiesOf(runtime).filter((c) => c.from !== null).map((c) => `${c.from}:${c.sources.join(',')}`);
  assert.deepEqual(fromStages.sort(), ['build:/app/dist', 'deps:/app/node_modules']);
  const user = instructionsOf(runtime, 'USER');
  assert.equal(user.length, 1);
  assert.ok(!['root', '0'].includes(user[0] as string), 'the bridge does not run as root');
  const env = envOf(runtime);
  assert.equal(env.NODE_ENV, 'production');
  assert.deepEqual(instructionsOf(runtime, 'EXPOSE'), [env.PORT]);
  const volume = JSON.parse(instructionsOf(runtime, 'VOLUME')[0] ?? '[]') as string[];
  assert.equal(volume.length, 1);
  assert.ok(env.DATABASE_URL?.startsWith(`${volume[0]}/`), 'the SQLite file is in the volume');
  assert.ok(instructionsOf(runtime, 'RUN').some((r) => r.includes(`chown node:node ${volume[0]}`)), 'the volume is the bridge user\'s');
  // CMD is what `npm start` runs after its build step.
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
  const [buildStep, runStep] = start.split(' && ');
  assert.equal(buildStep, 'node scripts/build.mjs');
  assert.deepEqual(execForm(instructionsOf(runtime, 'CMD')[0] ?? '').argv, runStep?.split(' '));
  // The commands on PATH under the package's bin name, linked to its bin file in WORKDIR.
  const link = commandLink();
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin;
  assert.deepEqual([link.name, link.target], Object.entries(bin).map(([name, file]) => [name, `${WORKDIR}/${file}`])[0]);
  assert.equal(link.dir, '/usr/local/bin', 'a folder on the Node image\'s PATH');
  const health = execForm(instructionsOf(runtime, 'HEALTHCHECK')[0] ?? '');
  assert.deepEqual(health.argv, ['node', 'deploy/healthcheck.mjs']);
  assert.ok(health.flags.some((f) => f.startsWith('--interval=')) && health.flags.some((f) => f.startsWith('--timeout=')));
});

test('every file the Dockerfile copies from the context exists and .dockerignore lets it in; secrets and local data stay out', () => {
  const dockerignore = read('.dockerignore');
  const problems: string[] = [];
  for (const s of stages) {
    for (const copy of copiesOf(s).filter((c) => c.from === null)) {
      for (const source of copy.sources) {
        if (!existsSync(join(ROOT, source))) problems.push(`${s.name}: COPY ${source}: no such file`);
        else if (!dockerignoreAllows(dockerignore, source)) problems.push(`${s.name}: COPY ${source}: left out by .dockerignore`);
      }
    }
  }
  assert.deepEqual(problems, []);
  for (const kept of ['deploy/bridge.env', 'deploy/.env', '.data/bridge.sqlite', '.data/tls/emulator-key.pem', 'node_modules/pg/package.json', '.git/config', 'dist/start.mjs', 'test/e2e/packaging.test.ts']) {
    assert.equal(dockerignoreAllows(dockerignore, kept), false, `${kept} must not be in the build context`);
  }
  // Every entry point of the build is copied into the build stage.
  const copiedToBuild = copiesOf(stage('build')).filter((c) => c.from === null).flatMap((c) => c.sources);
  const entryPoints = [...read('scripts/build.mjs').matchAll(/'([\w/.-]+\.ts)'/g)].map((m) => m[1] as string);
  assert.ok(entryPoints.includes('src/cli/start.ts'));
  for (const entry of entryPoints) assert.ok(copiedToBuild.some((source) => entry === source || entry.startsWith(`${source}/`)), `${entry} is not copied into the build stage`);
});

test('the image\'s commands outside Docker: the bundle on production dependencies starts from an older database with a backup reminder, answers /health, the health check and compose\'s migrate command work, SIGTERM stops it', { timeout: 120_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'bridge-image-'));
  const app = join(base, 'app');
  const token = parseEnvFile(read('deploy/bridge.env.example')).MAX_BOT_TOKEN as string;
  const max = await startMaxEmulator({ bots: [{ token }] });
  let child: ReturnType<typeof spawn> | null = null;
  try {
    // The build stage: its COPYs from the context, every dependency (npm ci: this checkout's
    // node_modules), its build command as written, in that folder alone.
    const buildDir = join(base, 'build');
    copyFromContext(stage('build'), buildDir);
    symlinkSync(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
    const buildRun = instructionsOf(stage('build'), 'RUN').find((r) => r.startsWith('node ')) as string;
    execFileSync(process.execPath, buildRun.split(' ').slice(1), { cwd: buildDir });
    // The runtime: dist/ from the build stage, its own COPYs from the context.
    for (const copy of copiesOf(runtime).filter((c) => c.from === 'build')) {
      for (const source of copy.sources) cpSync(join(buildDir, source.replace(`${WORKDIR}/`, '')), join(app, copy.destination), { recursive: true });
    }
    assert.ok(existsSync(join(app, 'dist/start.mjs')));
    copyFromContext(runtime, app);
    // node_modules as `npm ci --omit=dev` makes it: the production packages only (no selfsigned, no typescript).
    const production = productionPackages();
    assert.ok(production.includes('better-sqlite3') && production.includes('tsx'));
    assert.ok(!production.includes('selfsigned') && !production.includes('typescript'), 'the simulation leaves dev dependencies out');
    for (const name of production.filter((n) => existsSync(join(ROOT, 'node_modules', n)))) {
      mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name), 'dir');
    }

    // The environment: the image's ENV, then env_file (bridge.env, as its example), then the service's own;
    // container paths mapped onto this machine (WORKDIR, the service's bind mounts and volumes).
    const service = compose.services.bridge as ComposeService;
    const mounts: Array<[string, string]> = [[WORKDIR, app]];
    for (const volume of service.volumes ?? []) {
      const [source = '', target = ''] = volume.split(':');
      mounts.push([target, source.startsWith('.') ? join(ROOT, 'deploy', source) : join(base, 'volumes', source)]);
      if (!source.startsWith('.')) mkdirSync(join(base, 'volumes', source), { recursive: true });
    }
    mounts.sort((a, b) => b[0].length - a[0].length);
    const onHost = (value: string) => {
      const mount = mounts.find(([target]) => value === target || value.startsWith(`${target}/`));
      return mount ? mount[1] + value.slice(mount[0].length) : value;
    };
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...envOf(runtime), ...parseEnvFile(read('deploy/bridge.env.example')), ...service.environment })) {
      env[name] = name === 'PATH' ? value.split(':').map((p) => (p === '$PATH' ? (process.env.PATH ?? '') : onHost(p))).join(':') : onHost(value);
    }
    // This machine: a free port on loopback (the container listens on 0.0.0.0), the MAX emulator for MAX.
    Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', MAX_API_URL: max.baseUrl });
    // The runtime's command link, in a folder of its own put first on PATH (the image's /usr/local/bin).
    const link = commandLink();
    mkdirSync(join(base, 'path'));
    symlinkSync(onHost(link.target), join(base, 'path', link.name));
    env.PATH = `${join(base, 'path')}:${env.PATH ?? process.env.PATH ?? ''}`;
    assert.equal(env.CONFIG_FILE, join(ROOT, 'deploy/config.sqlite.yaml'));
    assert.ok(env.DATABASE_URL?.startsWith(join(base, 'volumes')), 'the database is in the volume');

    // The database of the previous version: the start applies the newest migration, after the reminder.
    await databaseAtMigration(env.DATABASE_URL as string, PREVIOUS_VERSION_MIGRATION);
    // The image's /app is root's and read-only to the bridge: it must write nothing there.
    const appBefore = readdirSync(app).sort();
    const cmd = execForm(instructionsOf(runtime, 'CMD')[0] as string).argv;
    assert.equal(cmd[0], 'node');
    const bridge = spawn(process.execPath, cmd.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = bridge;
    let out = '';
    bridge.stdout.on('data', (c: Buffer) => (out += c.toString()));
    bridge.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => bridge.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!/Bridge running/.test(out) && bridge.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /Bridge running/, out);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const reminder = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; pending?: number[]; level: number })
      .find((l) => /back it up first/.test(l.msg));
    assert.ok(reminder, `no backup reminder in:\n${out}`);
    assert.deepEqual(reminder.pending, MIGRATIONS.filter((m) => m.id > PREVIOUS_VERSION_MIGRATION).map((m) => m.id));
    assert.match(reminder.msg, /резервная копия/);
    assert.equal(reminder.level, 40, 'a warning');

    const healthCheck = execForm(instructionsOf(runtime, 'HEALTHCHECK')[0] as string).argv;
    const runHealthCheck = (extra: Record<string, string> = {}) => spawnSync(process.execPath, healthCheck.slice(1), { cwd: app, env: { ...env, ...extra }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(runHealthCheck().status, 0);

    // Compose's migrate command (max-bitrix24-bridge on the image's PATH, run by tsx from the copied sources).
    const migrateCommand = (compose.services.migrate as ComposeService).command as string[];
    const migrated = await new Promise<{ code: number | null; out: string }>((done) => {
      const cli = spawn(migrateCommand[0] as string, migrateCommand.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      cli.stdout.on('data', (c: Buffer) => (text += c.toString()));
      cli.stderr.on('data', (c: Buffer) => (text += c.toString()));
      cli.on('exit', (code) => done({ code, out: text }));
      cli.on('error', (err) => done({ code: null, out: `${text}${err.message}` }));
    });
    assert.equal(migrated.code, 0, migrated.out);
    assert.match(migrated.out, /Nothing to apply: the schema is current/);

    bridge.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.deepEqual(readdirSync(app).sort(), appBefore, 'nothing written in the image\'s /app');
    const down = runHealthCheck();
    assert.equal(down.status, 1);
    assert.match(down.stderr, /ECONNREFUSED/);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await max.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('the health check fails on an answer other than 200, and on no answer in time', async () => {
  let hang = false;
  const server = createServer((req, res) => {
    if (hang) return;
    res.writeHead(req.url === '/health' ? 503 : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const check = (env: Record<string, string>) => new Promise<{ code: number | null; err: string }>((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'deploy/healthcheck.mjs')], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => done({ code, err }));
    child.on('error', (e) => done({ code: null, err: e.message }));
  });
  try {
    const refused = await check({ PORT: String(port) });
    assert.equal(refused.code, 1);
    assert.match(refused.err, new RegExp(`http://127\\.0\\.0\\.1:${port}/health: answered 503`));
    hang = true;
    const started = Date.now();
    const silent = await check({ HEALTHCHECK_URL: `http://127.0.0.1:${port}/health` });
    assert.equal(silent.code, 1);
    assert.match(silent.err, /no answer within 3000 ms/);
    assert.ok(Date.now() - started < 8_000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('compose.yaml: every service in one profile, its files there, the PostgreSQL bridges after the migrations, the proxy in front of exactly the profile\'s bridges', () => {
  const deploy = join(ROOT, 'deploy');
  assert.deepEqual(services.filter(([, s]) => (s.profiles ?? []).length !== 1).map(([n]) => n), [], 'one `up --profile X` never starts the other profile\'s services');
  const image = compose.services.bridge?.image;
  for (const [name, s] of services) {
    if (s.build) {
      assert.ok(existsSync(join(deploy, s.build.context, s.build.dockerfile ?? 'Dockerfile')), `${name}: build`);
      assert.equal(s.image, image);
    }
    for (const file of [s.env_file ?? []].flat()) assert.ok(existsSync(join(deploy, `${file}.example`)), `${name}: ${file}.example to copy from`);
    for (const volume of s.volumes ?? []) {
      const source = volume.split(':')[0] as string;
      if (source.startsWith('.')) assert.ok(existsSync(join(deploy, source)), `${name}: ${source}`);
      else assert.ok(source in compose.volumes, `${name}: volume ${source} is declared`);
    }
  }
  // The variables compose.yaml reads are in compose.env.example, and none is required: an unset
  // ${X:?} would stop the other profile too (Compose interpolates every service).
  const composeText = read('deploy/compose.yaml');
  assert.doesNotMatch(composeText, /\$\{\w+:?\?/);
  const used = new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1] as string));
  assert.deepEqual([...used].sort(), Object.keys(parseEnvFile(read('deploy/compose.env.example'))).sort());

  const exposed = instructionsOf(runtime, 'EXPOSE')[0];
  const caddyfile = read('deploy/Caddyfile');
  assert.match(caddyfile, /^\{\$BRIDGE_DOMAIN\} \{/m);
  assert.match(caddyfile, /reverse_proxy \{\$BRIDGE_UPSTREAMS\}/);
  assert.match(caddyfile, /health_uri \/health/);
  for (const [profile, engine, configFile, count] of [['sqlite', 'sqlite', 'config.sqlite.yaml', 1], ['postgres', 'postgres', 'config.postgres.yaml', 3]] as const) {
    const bridges = bridgesOf(profile);
    assert.equal(bridges.length, count, profile);
    for (const [name, s] of bridges) {
      assert.equal(engineOf(s.environment?.DATABASE_URL ?? ''), engine, `${name}: DATABASE_URL`);
      assert.ok(s.volumes?.includes(`./${configFile}:${s.environment?.CONFIG_FILE}:ro`), `${name}: mounts ${configFile} as CONFIG_FILE`);
      if (engine === 'sqlite') assert.ok(s.volumes?.some((v) => v.startsWith('bridge-data:/data')), `${name}: the database in a volume`);
      else assert.deepEqual(s.depends_on, { postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    }
    const proxies = services.filter(([, s]) => s.profiles?.includes(profile) && s.image?.startsWith('caddy:'));
    assert.equal(proxies.length, 1, `${profile}: one proxy`);
    const upstreams = (proxies[0]?.[1].environment?.BRIDGE_UPSTREAMS ?? '').split(' ');
    assert.deepEqual(upstreams, bridges.map(([name]) => `${name}:${exposed}`), `${profile}: the proxy's upstreams are the profile's bridges`);
  }
  // The migrations run once, by one process, before the bridges: the installed command, not a bridge.
  const migrate = compose.services.migrate as ComposeService;
  assert.deepEqual(migrate.profiles, ['postgres']);
  assert.equal(migrate.environment?.DATABASE_URL, compose.services['bridge-1']?.environment?.DATABASE_URL);
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin;
  assert.ok(migrate.command?.[0] && migrate.command[0] in bin, 'the command is the package\'s bin, on the image\'s PATH');
  assert.deepEqual(migrate.command?.slice(1), ['migrate']);
  assert.deepEqual(migrate.depends_on, { postgres: { condition: 'service_healthy' } });
  assert.ok(compose.services.postgres?.healthcheck?.test?.includes('pg_isready'));
});

test('the example production configurations pass the configuration loader with the example variables: SQLite, PostgreSQL, variables alone', () => {
  const variables = parseEnvFile(read('deploy/bridge.env.example'));
  const readFile = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
  const cases = [
    { file: 'deploy/config.sqlite.yaml', extra: {}, engine: 'sqlite' },
    { file: 'deploy/config.postgres.yaml', extra: { DATABASE_URL: compose.services['bridge-1']?.environment?.DATABASE_URL as string }, engine: 'postgres' },
    { file: null, extra: {}, engine: 'sqlite' },
  ];
  for (const c of cases) {
    const loaded = loadConfig({ ...variables, ...c.extra, ...(c.file ? { CONFIG_FILE: c.file } : {}) }, readFile);
    assert.ok(loaded.ok, `${c.file ?? 'bridge.env.example alone'}: ${loaded.ok ? '' : loaded.errors.join('\n')}`);
    assert.deepEqual(loaded.warnings, []);
    assert.equal(loaded.mode, 'production');
    assert.equal(engineOf(loaded.config.database.url), c.engine);
    // The same ids whether the variables or a file configure the bridge: conversations keep them.
    assert.deepEqual(loaded.config.bots.map((b) => b.id), ['default']);
    assert.deepEqual(loaded.config.portals.map((p) => p.id), ['default']);
  }
  // The PostgreSQL configuration insists on DATABASE_URL: every process must name the same database.
  const without = loadConfig({ ...variables, CONFIG_FILE: 'deploy/config.postgres.yaml' }, readFile);
  assert.ok(!without.ok && without.errors.some((e) => /DATABASE_URL/.test(e)));
});

test('the systemd unit: a non-root user, the environment file, the bundle started as in the image, restarts, hardening; systemd-analyze verify', () => {
  const path = join(ROOT, 'deploy/systemd/max-bitrix24-bridge.service');
  const unit = parseUnit(readFileSync(path, 'utf8'));
  const service = unit.get('Service');
  assert.ok(service);
  const one = (key: string) => {
    const values = service.get(key);
    assert.equal(values?.length, 1, `[Service] ${key}`);
    return values[0] as string;
  };
  assert.ok(!['root', '0'].includes(one('User')));
  assert.match(one('EnvironmentFile'), /^\/etc\/max-bitrix24-bridge\/bridge\.env$/);
  const [nodeBinary, ...args] = one('ExecStart').split(' ');
  assert.match(nodeBinary as string, /^\/.*\/node$/);
  assert.deepEqual(args, execForm(instructionsOf(runtime, 'CMD')[0] as string).argv.slice(1), 'the same command as the image');
  assert.equal(one('Restart'), 'on-failure');
  assert.match(one('ExecReload'), /kill -HUP \$MAINPID/);
  const environment = service.get('Environment') ?? [];
  assert.ok(environment.includes('NODE_ENV=production'));
  assert.ok(environment.includes(`DATABASE_URL=/var/lib/${one('StateDirectory')}/bridge.sqlite`), 'SQLite in the state directory, the one place it may write');
  for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['CapabilityBoundingSet', '']] as const) {
    assert.equal(one(key), value, key);
  }
  assert.equal(service.get('MemoryDenyWriteExecute'), undefined, 'V8 needs writable executable memory');
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  if (verify.error) return; // not a systemd machine
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.split('\n').filter((l) => l.includes('max-bitrix24-bridge.service')).join('\n'), '');
});
