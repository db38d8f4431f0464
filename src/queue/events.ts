/** Typed lifecycle events of the job runner (graphile WorkerEventMap style). */
import type { ClaimedJob } from '../store/repos/job-repo.ts';

export interface RunnerEventMap {
  'job:claimed': { job: ClaimedJob };
  'job:completed': { job: ClaimedJob; durationMs: number };
  'job:failed': { job: ClaimedJob; error: unknown; delayMs: number };
  'job:dead': { job: ClaimedJob; error: unknown; reason: string };
  'job:released': { job: ClaimedJob };
  'job:lease-lost': { job: ClaimedJob };
  'runner:stopped': { released: number };
  /** A resource lease newly acquired (not a renewal): its previous holder may have filled its limits. */
  'resource:acquired': { resource: string };
}

export type RunnerEventName = keyof RunnerEventMap;
export type RunnerListener<K extends RunnerEventName> = (payload: RunnerEventMap[K]) => void;
