/**
 * Readiness (GET /ready): may this process be sent traffic? Not when its
 * database does not answer (within READY_TIMEOUT_MS), when the database's
 * schema is not the one this version expects, or when the running bridge
 * reports a problem (a paused line, a failing poller, a portal that blocked the
 * app — the `check` the runtime wires). Each problem is one line of text for the
 * administrator (Russian, like the notices), naming what to do.
 *
 * Liveness (GET /health) is separate and does no I/O: a process whose database
 * is down is alive (it keeps taking what it can and recovers by itself), and
 * restarting it would not help.
 */
import type { LineState, SchemaState } from '../store/repos/readiness-repo.ts';

/** A probe that waits longer than this is an unready database (orchestrators probe every few seconds). */
export const READY_TIMEOUT_MS = 2_000;

export interface BotReadiness {
  id: string;
  updates: 'webhook' | 'polling';
  /** Why the bot's updates do not arrive right now (a failing poll), or null. */
  problem: () => string | null;
}

export interface ReadinessDeps {
  engine: 'sqlite' | 'postgres';
  schemaState: () => Promise<SchemaState>;
  lineStates: () => Promise<LineState[]>;
  /** Problems of the running bridge; empty when none. */
  check: () => Promise<string[]>;
  bots: readonly BotReadiness[];
  timeoutMs?: number;
}

export interface ReadinessReport {
  ready: boolean;
  problems: string[];
  database: { engine: string; reachable: boolean; migration: number | null };
  bots: Array<{ id: string; updates: string; state: 'ok' | 'failing' }>;
  lines: Array<{ portal: string; line: number; state: string; reason: string | null }>;
}

class Timeout extends Error {}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout()), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function schemaProblems(s: SchemaState): string[] {
  const problems: string[] = [];
  if (s.missing.length > 0) problems.push(`в базе данных не применены миграции ${s.missing.join(', ')}: это не та база или старая копия — перезапустите мост, он их применит`);
  if (s.unknown.length > 0) problems.push(`база данных обновлена более новой версией моста (миграции ${s.unknown.join(', ')}): обновите этот процесс`);
  return problems;
}

/** Makes the /ready check. At most one database probe is in flight: a hung database does not pile up queries. */
export function readiness(deps: ReadinessDeps): () => Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? READY_TIMEOUT_MS;
  let probe: Promise<SchemaState> | null = null;
  const schema = () => {
    probe ??= deps.schemaState().finally(() => {
      probe = null;
    });
    return within(probe, timeoutMs);
  };
  const failure = (what: string, err: unknown) => (err instanceof Timeout
    ? `${what}: нет ответа за ${timeoutMs} мс`
    : `${what}: ${err instanceof Error ? err.message : String(err)}`);
  return async () => {
    const problems: string[] = [];
    const database: ReadinessReport['database'] = { engine: deps.engine, reachable: false, migration: null };
    let lines: LineState[] = [];
    try {
      const s = await schema();
      Object.assign(database, { reachable: true, migration: s.appliedLatest });
      problems.push(...schemaProblems(s));
    } catch (err) {
      problems.push(failure('база данных недоступна', err));
    }
    // The bridge's own problems read the database too: asked only when it answers.
    if (database.reachable) {
      try {
        [lines] = await Promise.all([within(deps.lineStates(), timeoutMs), within(deps.check(), timeoutMs).then((p) => problems.push(...p))]);
      } catch (err) {
        problems.push(failure('состояние линий и ботов не прочитано', err));
      }
    }
    return {
      ready: problems.length === 0,
      problems,
      database,
      bots: deps.bots.map((b) => ({ id: b.id, updates: b.updates, state: b.problem() === null ? 'ok' : 'failing' })),
      lines: lines.map((l) => ({ portal: l.portalId, line: l.lineId, state: l.state, reason: l.pausedReason })),
    };
  };
}
