/**
 * Fault injection on the emulated Bot API, set through the control API.
 * Each rule applies to requests whose path starts with `pathPrefix` (default:
 * every Bot API path), with probability `rate`, at most `remaining` times.
 * `format_refused` is decided by the message route, not before it: it answers
 * 400 "Some Markdown syntax is not supported" only to a send or edit that sets
 * `format` (what MAX refuses is the formatting; the same words without
 * `format` go through). MAX does not document which markup it refuses, so the
 * refusal is a switch rather than a rule about the text.
 */
export type FaultKind = 'status' | 'latency' | 'timeout' | 'drop' | 'format_refused';

/** Kinds applied by a route once it has read the body, not by the request hook. */
const BODY_KINDS = new Set<FaultKind>(['format_refused']);

export interface FaultRule {
  kind: FaultKind;
  pathPrefix?: string;
  /** 0..1, default 1. */
  rate?: number;
  /** For kind 'status': 429, 500, 503... */
  status?: number;
  /** For kind 'latency'. */
  latencyMs?: number;
  /** Applies this many times, then disappears. Unlimited when absent. */
  remaining?: number;
}

export class FaultTable {
  private rules: FaultRule[] = [];

  constructor(private readonly random: () => number) {}

  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }

  /** Picks the faults that fire for this request (latency first, then one terminal fault). */
  pick(path: string): FaultRule[] {
    const fired: FaultRule[] = [];
    for (const rule of this.rules) {
      if (BODY_KINDS.has(rule.kind)) continue;
      if (rule.pathPrefix && !path.startsWith(rule.pathPrefix)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      fired.push(rule);
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return fired.sort((a, b) => (a.kind === 'latency' ? -1 : 0) - (b.kind === 'latency' ? -1 : 0));
  }

  /** Whether a body-level fault of `kind` fires for this request (consumes one of its `remaining`). */
  fires(kind: FaultKind, path: string): boolean {
    for (const rule of this.rules) {
      if (rule.kind !== kind) continue;
      if (rule.pathPrefix && !path.startsWith(rule.pathPrefix)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
      return true;
    }
    return false;
  }
}
