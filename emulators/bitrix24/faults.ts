/**
 * Fault injection on a portal's REST endpoint, set through the control API:
 * `status` (e.g. 500 INTERNAL_SERVER_ERROR, 503 QUERY_LIMIT_EXCEEDED), `latency`,
 * `timeout` (never answer) and `drop` (destroy the connection). A rule may be
 * limited to methods starting with `methodPrefix`, fire with probability `rate`,
 * and at most `remaining` times.
 */
export interface B24FaultRule {
  kind: 'status' | 'latency' | 'timeout' | 'drop';
  methodPrefix?: string;
  rate?: number;
  status?: number;
  code?: string;
  latencyMs?: number;
  remaining?: number;
}

export class B24FaultTable {
  private rules: B24FaultRule[] = [];

  constructor(private readonly random: () => number) {}

  set(rules: B24FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): B24FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  pick(method: string): B24FaultRule[] {
    const fired: B24FaultRule[] = [];
    for (const rule of this.rules) {
      if (rule.methodPrefix && !method.startsWith(rule.methodPrefix)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      fired.push(rule);
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return fired.sort((a) => (a.kind === 'latency' ? -1 : 1));
  }
}
