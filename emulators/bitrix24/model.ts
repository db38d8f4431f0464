/**
 * The state of emulated Bitrix24 portals (spec/bitrix24-rest.md): apps and
 * their OAuth tokens, Open Lines, connectors, chats with sessions, messages,
 * CRM entities, event bindings and webhooks.
 */
export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenRecord {
  clientId: string;
  portalId: number;
  userId: number;
  expiresAtMs: number;
}

export interface AppInstall {
  clientId: string;
  applicationToken: string;
  /** False for UI apps until installFinish: no events are delivered before. */
  installed: boolean;
  handlerUrl: string | null;
}

export interface LineState {
  id: number;
  name: string;
  active: boolean;
  crm: 'Y' | 'N';
  crmCreate: 'lead' | 'deal' | 'none';
  /** CRM_CREATE_SECOND as given (stored verbatim); repeat leads are on unless it is 'N' (lines.ts). */
  crmCreateSecond: string;
  /** CRM_FORWARD: a client's open deal takes the dialog instead of a new deal or lead. */
  crmForward: 'Y' | 'N';
  /** AUTO_CLOSE_TIME in seconds, as a string like the portal returns it (shown only; nothing closes by it). */
  autoCloseTime: string;
  /** Real-world ms between a client's message and the CRM tracker's run (× timeFactor); spec §6: ~1–3 s. */
  crmLagMs: number;
  /** connector id → activated on this line. */
  connectors: Set<string>;
  connectorData: Map<string, Record<string, unknown>>;
}

export interface ConnectorState {
  id: string;
  name: string;
  clientId: string;
  needSignature: boolean;
  needSystemMessages: boolean;
  chatGroup: boolean;
  raw: Record<string, unknown>;
}

export interface OlMessage {
  /** Internal im message id. */
  id: number;
  chatId: number;
  direction: 'in' | 'out';
  /** Bitrix user id of the author (operator, or the internal user of the client); 0 for system. */
  authorId: number;
  text: string;
  /** Client files: fetchStatus is the HTTP status the portal got when it downloaded the file (0: unreachable). */
  files: Array<{ name: string; url: string; type: string; size: number; fetchStatus?: number }>;
  /** External ids: given by send.messages (in) or by send.status.delivery (out). */
  externalIds: string[];
  delivered: boolean;
  deleted: boolean;
  system: boolean;
  dateMs: number;
}

export interface OlChat {
  chatId: number;
  userCode: string;
  lineId: number;
  connectorId: string;
  externalChatId: string;
  externalUserId: string;
  externalUser: Record<string, unknown>;
  /** Internal user created for the external person. */
  clientUserId: number;
  sessionId: number;
  /** How many sessions the chat has had; 1 while in its first. */
  sessionCount: number;
  sessionClosed: boolean;
  operatorId: number;
  /** The current session's CRM bindings (entity_data_2); a new session starts with none. */
  crm: { LEAD: number; CONTACT: number; DEAL: number; COMPANY: number };
  messageIds: number[];
}

export interface CrmEntity {
  ID: string;
  [field: string]: unknown;
}

/** A CRM timeline comment (crm.timeline.comment.add/list). */
export interface TimelineComment {
  id: number;
  ENTITY_ID: number;
  /** Lowercase entity type: lead, deal, contact, company, dynamic_N. */
  ENTITY_TYPE: string;
  COMMENT: string;
  AUTHOR_ID: number;
  createdMs: number;
  /** Names of the files given as [name, base64] pairs. */
  files: string[];
}

/** A system notification (im.notify.system.add) shown to a portal user. */
export interface Notification {
  id: number;
  userId: number;
  message: string;
  messageOut: string;
  /** Unique per application: a later notification with the same tag for the same user replaces this one. */
  tag: string;
  subTag: string;
  /** The application that sent it (its client_id; 'webhook' for an incoming webhook). */
  sender: string;
  dateMs: number;
}

export interface EventBinding {
  event: string;
  handler: string;
  clientId: string;
  authType: number;
  id: number;
}

export interface EventDelivery {
  portalId: number;
  event: string;
  handler: string;
  atMs: number;
  status: number | null;
  error?: string;
  body: Record<string, unknown>;
  dropped?: boolean;
}

export interface Operator {
  id: number;
  name: string;
  lastName: string;
}
