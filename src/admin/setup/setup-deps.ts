/**
 * What the Setup page needs from the running bridge besides the store and the configuration
 * (AdminUiDeps.setup; wired in src/runtime/start-bridge.ts): where the configuration lives and
 * how to apply it again, MAX clients for a bot not configured yet, each portal's Bitrix24
 * client, the bridge's public address.
 */
import type { Bitrix24Client } from '../../bitrix24/client.ts';
import type { Env } from '../../config/env.ts';
import type { MaxClient } from '../../max/client.ts';

/** What applying the configuration again gave (src/runtime/config-reload.ts's ReloadOutcome). */
export type ConfigReloadResult =
  | { applied: true; report: { changed: string[]; restartNeeded: string[] } }
  | { applied: false; errors: string[] };

export interface AdminSetupDeps {
  /** CONFIG_FILE as given (relative to the working directory), or null when the configuration comes from environment variables alone. */
  configFile: string | null;
  /**
   * The environment the configuration is read with (process.env when running): `${NAME}` in the
   * file reads it. A bot added here gets its token put in it, so that the reload finds it.
   */
  env: Env;
  /** Reads the configuration again and applies it, as SIGHUP does (config-reload.ts); absent: a restart is needed. */
  reloadConfig?: (why: string) => Promise<ConfigReloadResult>;
  /** A MAX client for a bot that may not be configured yet (journaled like every other). */
  maxClient(bot: { id: string; token: string; apiUrl: string }): MaxClient;
  /** The Bitrix24 client of a configured portal (undefined: not configured). */
  bitrixFor(portalId: string): Bitrix24Client | undefined;
  /** The bridge's public address (server.public_url, canonical), or where it listens. */
  publicUrl(): string;
  /** The update types the bridge subscribes its bots to. */
  updateTypes: readonly string[];
  /** Our connector's id (imconnector). */
  connectorId: string;
  /** How long choosing a line waits for its setup job before answering "in progress" (default 10 s). */
  setupWaitMs?: number;
}
