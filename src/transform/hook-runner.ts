/**
 * Runs a route's transform hook (`transform.module`, the integrator's code) off the
 * main thread, in a small piscina pool of worker threads, so a slow, hanging or
 * looping hook never stalls the bridge's event loop. `run` never rejects: whatever
 * the hook does, the caller gets a HookResult, and on `failed` or `timeout` the
 * message it passed in, unchanged (the caller carries it as if there were no hook).
 *
 * Time: `timeoutMs` is how long the hook may run, counted from the moment a worker
 * takes the task (so a worker's start-up is not charged to the hook). A hook still
 * running then is stopped by aborting its task: piscina terminates that thread and
 * starts another. Waiting for a free worker is bounded separately (`queueTimeoutMs`).
 * The timers hold their AbortController themselves (not `AbortSignal.timeout`, which
 * Node 20 may collect before it fires; see src/domain/abort-after.ts).
 *
 * The worker file: from the bundle (dist/start.mjs) the sibling
 * dist/transform-hook-worker.mjs (an entry point of scripts/build.mjs); from source
 * (tsx) src/transform/hook-worker-source.mjs, which loads hook-worker.ts through tsx.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { BridgeError } from '../domain/errors.ts';
import type { TransformContext, TransformMessage } from '../domain/transform/transform-message.ts';
import { hookErrorText } from './hook-error-text.ts';
import type { HookDirection, HookWorkerResult, HookWorkerTask } from './hook-worker.ts';

export type { HookDirection } from './hook-worker.ts';

/** What became of one hook call. */
export type HookOutcomeKind = 'changed' | 'unchanged' | 'dropped' | 'failed' | 'timeout';

export interface HookResult {
  /**
   * `changed`: carry `message`; `unchanged`: the hook kept it (or does not handle this
   * direction); `dropped`: the hook returned null, do not carry it; `failed` (threw,
   * malformed return, module not loadable, worker died) and `timeout`: the hook's
   * verdict is unknown, `message` is the input unchanged.
   */
  outcome: HookOutcomeKind;
  /** The message to carry: the hook's on `changed`, else the input as given. */
  message: TransformMessage;
  /** Why, on `dropped`, `failed` and `timeout` (English, for the log and the journal). */
  reason?: string;
  /** From `run` to its result, queueing and worker start-up included. */
  durationMs: number;
}

/** One hook call, for metrics (`onOutcome`): counted by outcome, direction and route. */
export interface HookOutcome {
  outcome: HookOutcomeKind;
  direction: HookDirection;
  route: string;
  modulePath: string;
  durationMs: number;
  reason?: string;
}

export interface TransformHookRunnerOptions {
  /** How long a hook may run once a worker has taken it. */
  timeoutMs: number;
  /** Worker threads at most (default 2); one hook call per thread at a time. */
  maxThreads?: number;
  /** How long a call may wait for a worker to take it (default max(10 s, timeoutMs)); then `timeout`. */
  queueTimeoutMs?: number;
  /** Heap limit of each worker thread (default 256 MB): a hook over it fails, the bridge stays up. */
  maxHeapMb?: number;
  /** Called once per `run` with its outcome; an exception thrown here is ignored. */
  onOutcome?: (outcome: HookOutcome) => void;
}

/** The worker file is not next to the bundle: dist/ was built without it (scripts/build.mjs). */
export const TRANSFORM_WORKER_MISSING = 'BRG_ERR_TRANSFORM_WORKER_MISSING';

/** Where the worker file is, given this module's own URL (see the header). */
export function hookWorkerFile(ownUrl: string = import.meta.url): string {
  const fromSource = new URL(ownUrl).pathname.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? './hook-worker-source.mjs' : './transform-hook-worker.mjs', ownUrl));
}

export class TransformHookRunner {
  readonly #pool: Piscina;
  readonly #timeoutMs: number;
  readonly #queueTimeoutMs: number;
  readonly #onOutcome: ((outcome: HookOutcome) => void) | undefined;
  #closing: Promise<void> | null = null;

  constructor(opts: TransformHookRunnerOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be above 0, got ${opts.timeoutMs}`);
    const filename = hookWorkerFile();
    if (!existsSync(filename)) {
      throw new BridgeError(TRANSFORM_WORKER_MISSING, `the transform hook worker ${filename} is missing: rebuild with \`npm run build\``);
    }
    this.#timeoutMs = opts.timeoutMs;
    this.#queueTimeoutMs = opts.queueTimeoutMs ?? Math.max(10_000, opts.timeoutMs);
    this.#onOutcome = opts.onOutcome;
    const maxThreads = Math.max(1, opts.maxThreads ?? 2);
    this.#pool = new Piscina({
      filename,
      minThreads: 1,
      maxThreads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      // The worker's event loop runs between tasks (a hook's keep-alive sockets, timers).
      atomics: 'disabled',
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 256 },
    });
  }

  /** The hook's verdict on `message`; never rejects (see HookResult). */
  async run(modulePath: string, direction: HookDirection, message: TransformMessage, context: TransformContext): Promise<HookResult> {
    const startedAt = performance.now();
    const verdict = await this.#attempt(modulePath, direction, message, context);
    const result: HookResult = { ...verdict, durationMs: performance.now() - startedAt };
    try {
      this.#onOutcome?.({
        outcome: result.outcome, direction, route: context.route, modulePath, durationMs: result.durationMs,
        ...(result.reason === undefined ? {} : { reason: result.reason }),
      });
    } catch {
      // Metrics must not decide a message's fate.
    }
    return result;
  }

  /** Stops the workers (a running hook is terminated); later `run` calls answer `failed`. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.destroy();
    return this.#closing;
  }

  async #attempt(modulePath: string, direction: HookDirection, message: TransformMessage, context: TransformContext): Promise<Omit<HookResult, 'durationMs'>> {
    const asIs = (outcome: HookOutcomeKind, reason: string) => ({ outcome, message, reason });
    if (this.#closing) return asIs('failed', 'the transform hook runner is closed');
    if (!isAbsolute(modulePath)) return asIs('failed', `hook module path must be absolute, got ${modulePath}`);

    const controller = new AbortController();
    let timedOut: string | null = null;
    const abortAfter = (ms: number, why: string) => setTimeout(() => {
      timedOut = why;
      controller.abort(new DOMException(why, 'TimeoutError'));
    }, ms);
    let timer = abortAfter(this.#queueTimeoutMs, `no worker took the hook within ${this.#queueTimeoutMs} ms`);
    const { port1, port2 } = new MessageChannel();
    port1.once('message', () => {
      clearTimeout(timer);
      timer = abortAfter(this.#timeoutMs, `hook ran longer than ${this.#timeoutMs} ms; its worker was stopped`);
    });
    try {
      const task: HookWorkerTask = { modulePath, direction, message, context, started: port2 };
      const done = (await this.#pool.run(task, { signal: controller.signal, transferList: [port2] })) as HookWorkerResult;
      switch (done.kind) {
        case 'changed': return { outcome: 'changed', message: done.message };
        case 'unchanged': return { outcome: 'unchanged', message };
        case 'dropped': return asIs('dropped', done.reason);
        case 'failed': return asIs('failed', done.reason);
      }
    } catch (error) {
      if (timedOut !== null) return asIs('timeout', timedOut);
      // The worker died (process.exit, out of memory), the task could not be posted, or close().
      return asIs('failed', `hook worker failed: ${hookErrorText(error)}`);
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }
}
