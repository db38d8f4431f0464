/**
 * One emulated portal: its own origin (client_endpoint), limits, app installs,
 * lines, connectors, chats, messages, CRM, event bindings and webhooks.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_PORTAL_LIMITS, LeakyBucket, OperatingTime, type PortalLimits } from './limits.ts';
import { makeLine, type LineSettings } from './lines.ts';
import type {
  AppInstall, ConnectorState, CrmEntity, EventBinding, LineState, Notification, OlChat, OlMessage, Operator, TimelineComment,
} from './model.ts';

export type CrmType = 'lead' | 'contact' | 'deal' | 'company';

export class PortalState {
  baseUrl = '';
  readonly memberId: string;
  limits: PortalLimits;
  readonly bucket: LeakyBucket;
  readonly operating: OperatingTime;
  readonly installs = new Map<string, AppInstall>();
  readonly lines = new Map<number, LineState>();
  readonly connectors = new Map<string, ConnectorState>();
  readonly chats = new Map<number, OlChat>();
  readonly messages = new Map<number, OlMessage>();
  readonly crm: Record<CrmType, Map<number, CrmEntity>> = {
    lead: new Map(), contact: new Map(), deal: new Map(), company: new Map(),
  };
  readonly timeline: TimelineComment[] = [];
  readonly notifications: Notification[] = [];
  readonly bindings: EventBinding[] = [];
  /** "userId/secret" of incoming webhooks. */
  readonly webhooks = new Map<string, { userId: number }>();
  readonly operators = new Map<number, Operator>();
  readonly files = new Map<string, { name: string; data: Buffer; type: string }>();
  private seq = { line: 0, chat: 1700, message: 86_400, session: 300, crm: 1000, multifield: 5000, user: 500, binding: 0, timeline: 0, notification: 700 };

  constructor(
    readonly id: number,
    memberId: string | undefined,
    limits: Partial<PortalLimits> | undefined,
  ) {
    this.memberId = memberId ?? randomBytes(16).toString('hex');
    this.limits = { ...DEFAULT_PORTAL_LIMITS, ...limits };
    this.bucket = new LeakyBucket(this.limits);
    this.operating = new OperatingTime(this.limits);
    this.operators.set(1, { id: 1, name: 'Администратор', lastName: '' });
    this.operators.set(2, { id: 2, name: 'Анна', lastName: 'Смирнова' });
    this.operators.set(3, { id: 3, name: 'Олег', lastName: 'Иванов' });
    this.addLine({});
  }

  /** The portal's domain as Bitrix24 reports it (host[:port]). */
  get domain(): string {
    return this.baseUrl.replace(/^https?:\/\//, '');
  }

  setLimits(limits: Partial<PortalLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.bucket.setLimits(this.limits);
    this.operating.setLimits(this.limits);
  }

  next(kind: keyof PortalState['seq']): number {
    this.seq[kind] += 1;
    return this.seq[kind];
  }

  /** A new line with the defaults of lines.ts for whatever `settings` does not name. */
  addLine(settings: Partial<LineSettings>): LineState {
    const line = makeLine(this.next('line'), settings);
    this.lines.set(line.id, line);
    return line;
  }

  chatByUserCode(userCode: string): OlChat | undefined {
    for (const chat of this.chats.values()) if (chat.userCode === userCode) return chat;
    return undefined;
  }

  /** Finds an external message by its external id in a chat. */
  messageByExternalId(chatId: number, externalId: string): OlMessage | undefined {
    const chat = this.chats.get(chatId);
    for (const id of chat?.messageIds ?? []) {
      const m = this.messages.get(id);
      if (m?.externalIds.includes(externalId)) return m;
    }
    return undefined;
  }

  installOf(clientId: string): AppInstall | undefined {
    return this.installs.get(clientId);
  }

  /** The user that webhooks and the operator page act as. */
  operatorName(id: number): string {
    const op = this.operators.get(id);
    return op ? `${op.name} ${op.lastName}`.trim() : `Оператор ${id}`;
  }
}
