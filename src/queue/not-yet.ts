/**
 * Thrown by a job handler that must not run yet (it waits for something that
 * may still arrive, e.g. an earlier operator reply): the job goes back to its
 * queue unrun until `runAtMs` — not counted as an attempt, still the head of
 * its conversation, and no worker sits waiting for it.
 */
export class NotYet extends Error {
  constructor(readonly runAtMs: number, reason = 'waiting') {
    super(`not yet: ${reason}`);
    this.name = 'NotYet';
  }
}
