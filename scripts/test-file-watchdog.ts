/**
 * Watches the processes node:test's `run()` starts, one per test file, and kills those that
 * would hold the run forever. `run()` alone does not: on Node 24 a file's `timeout` fails its
 * tests but leaves its process running, and the run waits for that process to exit.
 *
 * Two cases, both killed with SIGKILL:
 * - **over time**: the file's process has run longer than its limit (TEST_FILE_TIMEOUT_MS).
 *   Its file fails.
 * - **stuck at exit**: the file's process began to exit (forceExit makes it exit once its tests
 *   are done; scripts/test-exit-marker.mjs leaves a marker with the exit code) and is still there
 *   `exitGraceMs` later. Node.js has a known, rare deadlock in process shutdown
 *   (nodejs/node#54918); a file whose process was exiting with code 0 (every test passed) is
 *   not failed for it: the run says so on stderr, naming the file.
 *
 * Not the file's `test:summary` event: run() holds a file's reports back until the files before
 * it are reported, so the summary of a file stuck behind a slower one arrives only once it ends.
 *
 * The processes are found in /proc (Linux, where CI runs): children of this process whose
 * command line ends with a test file's path. Elsewhere the watchdog finds none and does nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface TestFileWatchdogOptions {
  files: readonly string[];
  /** Where the files' processes leave their exit markers (TEST_EXIT_MARKER_DIR). */
  markerDir: string;
  fileLimitMs: number;
  /** How long a file's process may take to exit after its last test (default 30 s). */
  exitGraceMs?: number;
  /** How often /proc is read (default 2 s). */
  pollMs?: number;
  warn: (line: string) => void;
  nowMs?: () => number;
}

interface Watched {
  firstSeenMs: number;
  /** When its exit marker was first seen. */
  exitingMs: number | null;
  passed: boolean;
}

export class TestFileWatchdog {
  private readonly byPath = new Map<string, string>();
  private readonly watched = new Map<number, Watched & { file: string }>();
  /** Files killed while stuck at exit after all of their tests passed. */
  readonly stuckAtExit = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly o: TestFileWatchdogOptions) {
    for (const f of o.files) this.byPath.set(resolve(f), f);
    this.now = o.nowMs ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.o.pollMs ?? 2_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether a failure reported for `file` itself (not one of its tests) comes from a kill at exit. */
  excused(file: string): boolean {
    return this.stuckAtExit.has(resolve(file));
  }

  check(): void {
    const now = this.now();
    const alive = new Set<number>();
    for (const { pid, file } of this.children()) {
      alive.add(pid);
      let w = this.watched.get(pid);
      if (!w) {
        w = { file, firstSeenMs: now, exitingMs: null, passed: false };
        this.watched.set(pid, w);
      }
      if (w.exitingMs === null) {
        const code = this.exitCodeOf(pid);
        if (code !== null) {
          w.exitingMs = now;
          w.passed = code === 0;
        }
      }
      const shown = this.byPath.get(file) ?? file;
      if (w.exitingMs !== null && now - w.exitingMs > (this.o.exitGraceMs ?? 30_000)) {
        this.kill(pid);
        if (w.passed) this.stuckAtExit.add(file);
        this.o.warn(`test: ${shown} finished its tests${w.passed ? ', all passed,' : ''} but its process did not exit in ${Math.round((now - w.exitingMs) / 1000)} s (a Node.js shutdown deadlock, nodejs/node#54918): killed${w.passed ? '; not counted as a failure' : ''}`);
        this.watched.delete(pid);
      } else if (now - w.firstSeenMs > this.o.fileLimitMs) {
        this.kill(pid);
        this.o.warn(`test: ${shown} ran longer than ${Math.round(this.o.fileLimitMs / 1000)} s (TEST_FILE_TIMEOUT_MS): its process was killed and the file fails`);
        this.watched.delete(pid);
      }
    }
    for (const pid of this.watched.keys()) if (!alive.has(pid)) this.watched.delete(pid);
  }

  /** The exit code a process's marker holds, or null while it has not begun to exit. */
  private exitCodeOf(pid: number): number | null {
    try {
      return Number(readFileSync(join(this.o.markerDir, String(pid)), 'utf8'));
    } catch {
      return null;
    }
  }

  private kill(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }

  /** This process's children that run one of the files. */
  private children(): Array<{ pid: number; file: string }> {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [];
    }
    const out: Array<{ pid: number; file: string }> = [];
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== process.pid) continue;
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
        const last = args.at(-1);
        if (last === undefined) continue;
        const file = resolve(last);
        if (this.byPath.has(file)) out.push({ pid: Number(entry), file });
      } catch {
        // The process ended while being read.
      }
    }
    return out;
  }
}
