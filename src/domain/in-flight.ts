/**
 * Requests this process has begun to take in (a MAX webhook, a Bitrix24
 * event) and not yet finished — stored, refused or dropped. With several
 * processes (bridge/peers.ts) the heartbeat tells the others up to when everything
 * this process began is settled: an item another process holds may go only
 * once no process can still be holding, unstored, a message that came before
 * it — if this process dies holding one, the survivor's recovery reads it
 * from MAX's history before the item goes.
 */
export class InFlightRequests {
  private next = 0;
  private readonly started = new Map<number, number>();

  constructor(private readonly nowMs: () => number) {}

  /** A request begins; returns the token to end it with. */
  begin(): number {
    const token = this.next++;
    this.started.set(token, this.nowMs());
    return token;
  }

  end(token: number): void {
    this.started.delete(token);
  }

  /** Everything begun before this moment has ended: the oldest unfinished request's start, or now. */
  settledMs(): number {
    let oldest = this.nowMs();
    for (const at of this.started.values()) if (at < oldest) oldest = at;
    return oldest;
  }

  get size(): number {
    return this.started.size;
  }
}
