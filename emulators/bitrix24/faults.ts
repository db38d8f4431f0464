/**
 * Fault injection on a portal's REST endpoint, set through the control API:
 * `status` (e.g. 500 INTERNAL_SERVER_ERROR, 503 QUERY_LIMIT_EXCEEDED, 503
 * OVERLOAD_LIMIT), `latency`, `timeout` (never answer), `drop` (destroy the
 * connection before the call runs) and `lose` (the call runs and takes effect, then its
 * answer is lost: the connection is destroyed after `latencyMs`, 0 by default) — what a
 * caller sees when the network or its own process fails between a call and its answer. A rule may be limited to methods starting with `methodPrefix`
 * and to calls whose parameters include `params` (e.g. `{CHAT_ID: "7"}`), fire
 * with probability `rate`, and at most `remaining` times.
 *
 * A `status` rule with a `methodPrefix` also fails that method as a command of
 * a `batch`: the batch still answers HTTP 200 and reports the command in
 * `result_error` (spec §8) — how a real portal reports, say, one history read
 * over its method's operating limit. Rules without a prefix act on whole
 * requests only (a batch is one request).
 */
export interface B24FaultRule {
  kind: 'status' | 'latency' | 'timeout' | 'drop' | 'lose';
  methodPrefix?: string;
  /** Only calls (or batch commands) whose parameters hold these values, compared as strings. */
  params?: Record<string, string | number>;
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

  /** The rules that fire for one HTTP request to `method`. */
  pick(method: string, params: Record<string, unknown> = {}): B24FaultRule[] {
    const fired = this.fire((rule) => (!rule.methodPrefix || method.startsWith(rule.methodPrefix)) && paramsMatch(rule, params));
    return fired.sort((a) => (a.kind === 'latency' ? -1 : 1));
  }

  /** The `status` rule that fails one command of a batch, if any (only rules naming a method prefix). */
  pickCommand(method: string, params: Record<string, unknown>): B24FaultRule | null {
    return this.fire((rule) => rule.kind === 'status' && !!rule.methodPrefix && method.startsWith(rule.methodPrefix) && paramsMatch(rule, params), 1)[0] ?? null;
  }

  private fire(applies: (rule: B24FaultRule) => boolean, max = Number.POSITIVE_INFINITY): B24FaultRule[] {
    const fired: B24FaultRule[] = [];
    for (const rule of this.rules) {
      if (fired.length >= max) break;
      if (!applies(rule)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      fired.push(rule);
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return fired;
  }
}

function paramsMatch(rule: B24FaultRule, params: Record<string, unknown>): boolean {
  if (!rule.params) return true;
  const lower = new Map(Object.entries(params).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(rule.params).every(([k, v]) => String(lower.get(k.toLowerCase()) ?? '') === String(v));
}
