/**
 * What the checks of `doctor` read: the configuration, the store (opened without migrating:
 * the doctor looks, it does not change the schema), fresh clients of both sides (never the
 * running bridge's own, whose holds would answer for the sides without asking them), the
 * challenge key of the self-call, and the `Date` headers every answer brought (clock skew).
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import type { BridgeConfigData } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { MaxClient } from '../max/client.ts';
import type { Store } from '../store/open-store.ts';
import type { DateHeaders } from './date-headers.ts';
import type { CheckResult, Words } from './result.ts';

/** The database could not be opened at all (a missing SQLite file, a malformed URL): why, and what to do. */
export interface StoreUnavailable {
  problem: Words;
  fix: Words;
}

export interface DoctorDeps {
  config: BridgeConfigData;
  mode: 'sandbox' | 'production';
  /** The configuration check's findings, made by whoever loaded the configuration (checks/config.ts). */
  configResults: CheckResult[];
  store: Store | StoreUnavailable;
  clock: Clock;
  /** The connector's code on the portals (`max_bridge`, src/runtime/start-bridge.ts). */
  connectorId: string;
  /** The key the bridge answers challenges with (src/domain/doctor-challenge.ts); null: answers cannot be checked. */
  challengeKey: Buffer | null;
  /** Roots trusted by the doctor's own TLS connections besides Node's (tests; a running install uses NODE_EXTRA_CA_CERTS). */
  extraCaPem?: string[];
  /** The operating system's CA bundle, read to tell "the system trusts it, Node does not" (default: Debian's). */
  systemCaFile?: string;
  /** The environment (NODE_EXTRA_CA_CERTS is reported and read). */
  env?: NodeJS.ProcessEnv;
  /** Each network call of a check; default 10 s. */
  timeoutMs?: number;
}

/** What runDoctor builds for the checks from the deps. */
export interface DoctorContext extends DoctorDeps {
  timeoutMs: number;
  dateHeaders: DateHeaders;
  maxClient(botId: string): MaxClient;
  bitrixClient(portalId: string): Bitrix24Client;
}

export function isStore(store: DoctorDeps['store']): store is Store {
  return 'engine' in store;
}
