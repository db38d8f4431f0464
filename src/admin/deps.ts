/**
 * What the admin UI's pages read and do (src/admin/pages/): the store, the configuration in
 * force, the clock, the journal, and views of the running bridge (readiness, live states of
 * the bots and portals, routing). Wired in src/runtime/start-bridge.ts; tests build it from a
 * store alone (the optional parts absent). Pages add the fields they need here.
 */
import type { ReadinessReport } from '../bridge/readiness.ts';
import type { BridgeConfigData } from '../config/schema.ts';
import type { DoctorReport } from '../doctor/result.ts';
import type { JournalWriter } from '../domain/ports.ts';
import type { AdminRouting } from '../http/plugins/admin-api.ts';
import type { MaskingPolicy } from '../journal/masking.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/open-store.ts';
import type { AdminSetupDeps } from './setup/setup-deps.ts';

/** A bot or a portal as the running bridge sees it now. */
export interface LiveSide {
  id: string;
  /** Why it does not work right now (held, degraded, a failing poll), with what to do; null when fine. */
  problem: string | null;
}

/** The running bridge's bots and portals now (their clients' holds, the pollers, the portals' limiters). */
export interface LiveStates {
  bots: LiveSide[];
  /** `limitLevel` of `limitBurst`: requests in the portal's leaky bucket (Bitrix24's limit) now. */
  portals: Array<LiveSide & { limitLevel: number; limitBurst: number }>;
}

export interface AdminUiDeps {
  store: Store;
  /** The configuration in force (a reload changes it). */
  config(): BridgeConfigData;
  nowMs(): number;
  /** The exchange journal's writer (views of a client's conversation are recorded in it, 152-ФЗ). */
  journal: JournalWriter;
  /** The personal-data policy in force (docs/privacy.md): viewers see at least this much masked. */
  policy(): MaskingPolicy;
  /** `{ component: 'admin-ui' }`: logins, lock-outs, refused forms. */
  log: Logger;
  /** The /ready report (src/bridge/readiness.ts). */
  readiness?: () => Promise<ReadinessReport>;
  live?: () => LiveStates;
  /** Routing (explain, a conversation's route, a move), as the admin API has it. */
  routing?: AdminRouting;
  /** Wakes the job runner (after a replay, a release). */
  poke(): void;
  /** What the Setup page needs to add bots and choose lines (src/admin/setup/setup-deps.ts); absent: the page only shows. */
  setup?: AdminSetupDeps;
  /** Runs every check of `doctor` now (src/doctor/run-doctor.ts; slow: network calls); absent: the Diagnostics page cannot run it. */
  doctor?: () => Promise<DoctorReport>;
}
