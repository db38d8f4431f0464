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
  sessionClosed: boolean;
  operatorId: number;
  crm: { LEAD: number; CONTACT: number; DEAL: number; COMPANY: number };
  messageIds: number[];
}

export interface CrmEntity {
  ID: string;
  [field: string]: unknown;
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
