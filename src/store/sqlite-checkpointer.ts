/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside
 * whichever commit crosses 1,000 WAL pages, with fsyncs, and with better-sqlite3
 * that commit blocks the process: every few thousand webhooks one answer took
 * ~10 ms longer. Here the connection's automatic checkpoint is off and a worker
 * thread with its own connection to the same file runs a PASSIVE checkpoint
 * every CHECKPOINT_INTERVAL_MS (it copies what no reader still needs and never
 * blocks the writer). If the worker cannot start or dies, automatic
 * checkpoints are switched back on.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 250;

/** Pages after which SQLite checkpoints by itself (its default), used when the worker is not there. */
const AUTO_CHECKPOINT_PAGES = 1000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(sqlite: BetterSqlite3.Database, file: string, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  let worker: Worker;
  try {
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driverPath, intervalMs }, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 } });
  } catch {
    // No worker thread here: SQLite's own automatic checkpoint (left on) does the work, only on the writer's thread.
    return { stop: async () => undefined };
  }
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  const fallBack = () => {
    if (!stopped && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  // The worker must not keep the process alive on its own.
  worker.unref();
  return {
    stop: () => new Promise<void>((resolve) => {
      stopped = true;
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage('stop');
    }),
  };
}
