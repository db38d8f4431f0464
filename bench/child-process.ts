/** Starts a benchmark server in its own Node process and waits for its `READY <url>` line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface BenchChild {
  url: string;
  pid: number;
  /** Resident set size of the process now, MB (Linux /proc). */
  rssMb(): number;
  /** False once the process has exited. */
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * The Node flags `npm start` runs the bridge with (package.json "start"; a test
 * keeps the two equal): source maps for stack traces, and a young generation of
 * 2 × 4 MiB instead of V8's 2 × 16 MiB — the bridge's garbage is short-lived
 * and small, and the smaller nursery is most of what it costs in RSS.
 */
export const START_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=4'];

export async function startChild(script: string, env: Record<string, string> = {}, readyTimeoutMs = 60_000, nodeFlags: string[] = START_NODE_FLAGS): Promise<BenchChild> {
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of the child (to find where its time goes).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // A built bundle (.mjs) runs on plain Node, as `npm start` does; sources run through tsx.
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, ...profile, ...loader, script], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${script}: not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /READY (\S+)/.exec(buffer);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)} before it was ready`)));
  });
  child.stdout?.resume();
  return {
    url,
    pid: child.pid ?? 0,
    alive: () => child.exitCode === null && child.signalCode === null,
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

/**
 * A port free now, for a process or server that listens on it a little later. Taken below the
 * system's ephemeral range when it has room there: a port from inside it (what `listen(0)` gives)
 * can be handed to any outgoing connection meanwhile, and was — a CI run's bridge failed to
 * listen with EADDRINUSE while other test files were making requests.
 */
export async function freePort(): Promise<number> {
  const lowest = ephemeralRangeStart() - FREE_PORT_SPAN;
  if (lowest >= 1024) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = lowest + Math.floor(Math.random() * FREE_PORT_SPAN);
      if (await canListen(port)) return port;
    }
  }
  return listenOnce(0);
}

/** How many ports under the ephemeral range freePort picks from. */
const FREE_PORT_SPAN = 10_000;

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) ? start : 0;
  } catch {
    return 0; // not Linux: no range known, listen(0) it is
  }
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(() => true, () => false);
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}
