/**
 * Jobs on a rate-limited resource (a portal) when several processes share
 * PostgreSQL (docs/architecture.md, "Resource leases"): one process at a time
 * holds a portal's lease and with it the portal's limiter. Two rules make a
 * hand-over safe; the runtime wires both, and so does the multi-process test
 * fixture (test/fixtures/queue-worker.ts), from here:
 * - a portal's limiter newly taken over starts as if its bucket were full
 *   (`resource:acquired` → `assumeFull`): the process that held it before
 *   (dead, or its lease lapsed) may have filled it, and the portal counts
 *   requests, not processes;
 * - a handler acts on the resource only with at least half its job lease in
 *   hand (`ensureLeaseMargin`, right before the call): a process that stalled
 *   past its lease (GC, a suspended VM) must not act beside the process that
 *   took the resource over. Short of it, the job is put back (NotYet: no
 *   attempt counted; fenced off if another process holds it now).
 */
import { NotYet } from '../queue/not-yet.ts';
import type { JobContext, JobRunner } from '../queue/runner.ts';

const PORTAL_RESOURCE_PREFIX = 'portal:';

/** The lease a handler must still hold to act: half the job lease (renewed every third, so ≥ two thirds normally). */
export function leaseMarginMs(jobLeaseMs: number): number {
  return jobLeaseMs / 2;
}

/** Every portal whose lease this runner newly acquires starts with its limiter full. */
export function limitersStartFullOnTakeover(runner: JobRunner, limiterOf: (portalId: string) => { assumeFull(portalId: string): void } | undefined): void {
  runner.on('resource:acquired', ({ resource }) => {
    if (!resource.startsWith(PORTAL_RESOURCE_PREFIX)) return;
    const portalId = resource.slice(PORTAL_RESOURCE_PREFIX.length);
    limiterOf(portalId)?.assumeFull(portalId);
  });
}

/** Throws NotYet (run again now, here or where the resource went) unless `marginMs` of the job's lease is left. */
export function ensureLeaseMargin(ctx: Pick<JobContext, 'leaseUntilMs'>, nowMs: number, marginMs: number): void {
  if (ctx.leaseUntilMs() - nowMs < marginMs) throw new NotYet(nowMs, 'too little of the job lease is left to act on its resource');
}
