/**
 * Bitrix24 limits (spec §8):
 * - request-rate leaky bucket per portal: each HTTP request adds 1, the counter
 *   drains `drainPerSecond`; above `burst` → 503 QUERY_LIMIT_EXCEEDED. One batch
 *   is one request. Real time, not scaled.
 * - operating (method-time) limit per app and method: execution time summed
 *   over a 10-minute window; over the limit → 429 OPERATION_TIME_LIMIT until
 *   the oldest time leaves the window (`operating_reset_at`).
 */
export interface PortalLimits {
  drainPerSecond: number;
  burst: number;
  operatingLimitSeconds: number;
  operatingWindowSeconds: number;
  /** Simulated execution time of one method call, seconds. */
  methodCostSeconds: number;
}

export const DEFAULT_PORTAL_LIMITS: PortalLimits = {
  drainPerSecond: 2,
  burst: 50,
  operatingLimitSeconds: 480,
  operatingWindowSeconds: 600,
  methodCostSeconds: 0.01,
};

export class LeakyBucket {
  private level = 0;
  private lastMs = Date.now();

  constructor(private limits: PortalLimits) {}

  setLimits(limits: PortalLimits): void {
    this.limits = limits;
  }

  /** Adds one request; returns false (and adds nothing) when over the limit. */
  tryAdd(nowMs = Date.now()): boolean {
    this.level = Math.max(0, this.level - ((nowMs - this.lastMs) / 1000) * this.limits.drainPerSecond);
    this.lastMs = nowMs;
    if (this.level + 1 > this.limits.burst) return false;
    this.level += 1;
    return true;
  }

  get current(): number {
    return this.level;
  }

  reset(): void {
    this.level = 0;
    this.lastMs = Date.now();
  }
}

export class OperatingTime {
  /** key (app|method) → list of [atMs, seconds]. */
  private readonly spent = new Map<string, Array<[number, number]>>();

  constructor(private limits: PortalLimits) {}

  setLimits(limits: PortalLimits): void {
    this.limits = limits;
  }

  private window(key: string, nowMs: number): Array<[number, number]> {
    const cutoff = nowMs - this.limits.operatingWindowSeconds * 1000;
    const list = (this.spent.get(key) ?? []).filter(([at]) => at > cutoff);
    this.spent.set(key, list);
    return list;
  }

  /** Current sum (seconds) and the reset time (unix seconds) for a key. */
  state(key: string, nowMs = Date.now()): { operating: number; resetAt: number } {
    const list = this.window(key, nowMs);
    const operating = list.reduce((sum, [, s]) => sum + s, 0);
    const oldest = list[0]?.[0] ?? nowMs;
    return { operating, resetAt: Math.ceil((oldest + this.limits.operatingWindowSeconds * 1000) / 1000) };
  }

  isBlocked(key: string, nowMs = Date.now()): boolean {
    return this.state(key, nowMs).operating >= this.limits.operatingLimitSeconds;
  }

  record(key: string, nowMs = Date.now()): void {
    this.window(key, nowMs).push([nowMs, this.limits.methodCostSeconds]);
  }

  reset(): void {
    this.spent.clear();
  }
}
