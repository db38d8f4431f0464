/**
 * What every CRM step of one Open Lines session works with (src/bridge/crm/*): the
 * conversation, its route's policy, the portal's CRM calls under the conversation's
 * correlation ids, and the session's crm_links row.
 */
import type { CrmCalls, CrmEntityType } from '../../bitrix24/crm.ts';
import type { CrmPolicy } from '../../domain/crm/crm-policy.ts';
import type { CrmSource } from '../../domain/crm/payload-source.ts';
import type { PortalId } from '../../domain/ids.ts';
import type { Logger } from '../../log/logger.ts';
import type { MaxClient } from '../../max/client.ts';
import type { Store } from '../../store/open-store.ts';
import type { HookEmitter } from '../hook-events.ts';
import type { ConversationRow } from '../../store/repos/conversation-repo.ts';
import type { CrmLink } from '../../store/repos/crm-link-repo.ts';
import type { Bitrix24Client } from '../../bitrix24/client.ts';
import type { LineSettingsCache } from './line-settings.ts';

export interface CrmDeps {
  store: Store;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  maxFor: (botId: string) => MaxClient | undefined;
  /** The policy of the conversation's route (its own `crm:` over the top-level defaults). */
  policyFor: (conversation: ConversationRow) => CrmPolicy;
  /** The business's own numbers (`crm.own_phones`): never a client's. */
  ownPhones: readonly string[];
  /** How long a session waits for its CRM binding before a dead letter and a notice in the line. */
  verifyTimeoutMs: number;
  /** How long a new client's first CRM step waits for the phone it asked for (`ask_phone`). */
  phoneWaitMs: number;
  nowMs: () => number;
  log?: Logger;
  /** Whether each line creates CRM objects itself, as last read (line-settings.ts); one per bridge. */
  lineSettings: LineSettingsCache;
  /** Hook events (../hook-events.ts): `crm.linked` when a session's binding is confirmed; absent = none. */
  hookEvents?: HookEmitter;
}

export interface CrmSession {
  deps: CrmDeps;
  conversation: ConversationRow;
  policy: CrmPolicy;
  portalId: PortalId;
  lineId: number;
  chatId: string;
  sessionId: string;
  link: CrmLink;
  crm: CrmCalls;
  /** `imol|<USER_CODE>`: the value the line writes into an entity's IM field, and finds it by. */
  imol: string;
  /** The client's name as the line shows it (the dialog's name). */
  clientName: string;
  source: CrmSource | null;
  /** Since when this session's binding has been awaited (the deadline counts from here). */
  sinceMs: number;
  log: Logger;
}

/** What a session was bound to, and how. */
export interface CrmOutcome {
  leadId: number | null;
  contactId: number | null;
  dealId: number | null;
  /** created, continued (an open lead), attached (an open deal), line (the line's tracker made it). */
  how: 'created' | 'continued' | 'attached' | 'line';
  /** The object the timeline comment goes on. */
  main: { type: CrmEntityType; id: number };
}

/** Candidate CRM ids in order, each once, the empty ones (null, 0) left out. */
export function uniqueIds(ids: Array<number | null | undefined>): number[] {
  return [...new Set(ids.filter((n): n is number => typeof n === 'number' && n > 0))];
}

/** The idempotency key of what one session makes: found again by ORIGIN_ID after a crash. */
export function sessionOrigin(s: Pick<CrmSession, 'conversation' | 'sessionId'>): string {
  return `${s.conversation.id}#${s.sessionId}`;
}

/** The idempotency key of a client's contact (one per MAX user and portal). */
export function clientOrigin(s: Pick<CrmSession, 'conversation'>): string {
  return `max-user:${s.conversation.maxUserId ?? s.conversation.id}`;
}
