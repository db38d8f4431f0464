/**
 * `doctor` on a configured install, from outside the bridge (the CLI): the configuration as
 * `start` reads it, the store it names opened without migrating, the same BRIDGE_SECRET_KEY
 * (its tokens decrypt, its challenge answers check), and the doctor's exchanges journaled like
 * the bridge's own when the schema is the expected one.
 */
import type { BridgeConfigData } from '../config/schema.ts';
import { challengeKey } from '../domain/doctor-challenge.ts';
import type { Clock } from '../domain/clock.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { privacyHashKey } from '../journal/hash-key.ts';
import { maskedJournal } from '../journal/masked-writer.ts';
import { createMasker } from '../journal/masking.ts';
import type { Store } from '../store/open-store.ts';
import { isStore, type DoctorDeps } from './deps.ts';
import { openDoctorStore } from './doctor-store.ts';
import type { CheckResult, DoctorReport } from './result.ts';
import { runDoctor } from './run-doctor.ts';
import { withTimeLimit } from './time-limit.ts';

export interface ConfiguredDoctorOptions {
  config: BridgeConfigData;
  configResults: CheckResult[];
  clock: Clock;
  connectorId: string;
  env: NodeJS.ProcessEnv;
  extraCaPem?: string[];
  timeoutMs?: number;
}

/** The journal, when the database has exactly this version's schema (else its writes could fail or mislead). */
async function journalOf(store: Store, config: BridgeConfigData, secretKey: string, timeoutMs: number): Promise<JournalWriter | undefined> {
  const state = await withTimeLimit(store.readiness.schemaState(), timeoutMs, 'the database').catch(() => null);
  if (!state || state.missing.length > 0 || state.unknown.length > 0) return undefined;
  return maskedJournal(store.journal, createMasker(config.privacy, privacyHashKey(secretKey)));
}

export async function doctorConfigured(options: ConfiguredDoctorOptions): Promise<DoctorReport> {
  const { config, clock } = options;
  const secretKey = config.security.secret_key ?? options.env.BRIDGE_SECRET_KEY ?? '';
  const store = await openDoctorStore(config, secretKey, clock);
  try {
    const deps: DoctorDeps = {
      config, mode: 'production', configResults: options.configResults, store, clock, connectorId: options.connectorId,
      challengeKey: secretKey ? challengeKey(secretKey) : null, extraCaPem: options.extraCaPem, env: options.env, timeoutMs: options.timeoutMs,
    };
    const journal = isStore(store) ? await journalOf(store, config, secretKey, options.timeoutMs ?? 10_000) : undefined;
    return await runDoctor(deps, { journal });
  } finally {
    if (isStore(store)) await store.close();
  }
}
