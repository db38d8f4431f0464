/**
 * The CRM calls the bridge makes (spec bitrix24-rest §5–6), each through the portal's client
 * (limited, retried, journaled with the conversation's ids). Reads are marked idempotent;
 * creations are not resent blindly: the caller finds what an earlier attempt made by its
 * ORIGINATOR_ID / ORIGIN_ID (the CRM's own fields for "made by an external system") first.
 */
import type { Correlation } from '../journal/exchange.ts';
import { parseCrmBindings, type CrmBindings } from '../domain/crm/crm-bindings.ts';
import type { Bitrix24Client } from './client.ts';

/** ORIGINATOR_ID of every object the bridge creates: with ORIGIN_ID it finds them again. */
export const BRIDGE_ORIGINATOR = 'max-bridge';

export type CrmEntityType = 'lead' | 'contact' | 'deal';

/** crm.item.list's entityTypeId of each type (spec §6). */
const ENTITY_TYPE_ID: Record<CrmEntityType, number> = { lead: 1, deal: 2, contact: 3 };

export type CrmFields = Record<string, unknown>;

export interface CrmMultiValue {
  ID?: string;
  VALUE: string;
  VALUE_TYPE: string;
}

export interface OpenLinesDialog {
  /** USER_CODE of the dialog (`connector|line|chat|user`): the IMOL value is `imol|` + it. */
  userCode: string;
  /** The client's name as the line shows the dialog. */
  name: string;
  bindings: CrmBindings;
}

export class CrmCalls {
  /** `beforeCall` runs before each call and may throw to put it off (the bridge leaves messages the room first). */
  constructor(
    private readonly bitrix: Bitrix24Client,
    private readonly portalId: string,
    private readonly correlation: Correlation,
    private readonly beforeCall: () => Promise<void> = async () => undefined,
  ) {}

  private async read<T>(method: string, params: Record<string, unknown>): Promise<T> {
    await this.beforeCall();
    return this.bitrix.call<T>(this.portalId, method, params, { idempotent: true, correlation: this.correlation });
  }

  private async write<T>(method: string, params: Record<string, unknown>): Promise<T> {
    await this.beforeCall();
    return this.bitrix.call<T>(this.portalId, method, params, { correlation: this.correlation });
  }

  async dialog(chatId: string): Promise<OpenLinesDialog> {
    const d = await this.read<Record<string, unknown>>('imopenlines.dialog.get', { CHAT_ID: chatId });
    return { userCode: String(d.entity_id ?? ''), name: typeof d.name === 'string' ? d.name : '', bindings: parseCrmBindings(d.entity_data_2) };
  }

  async lineConfig(lineId: number): Promise<Record<string, string>> {
    return this.read<Record<string, string>>('imopenlines.config.get', { CONFIG_ID: lineId });
  }

  async updateLine(lineId: number, params: Record<string, string>): Promise<void> {
    await this.write('imopenlines.config.update', { CONFIG_ID: lineId, PARAMS: params });
  }

  /** The entity, or null when the portal has no such (deleted) entity. */
  async get(type: CrmEntityType, id: number): Promise<CrmFields | null> {
    try {
      return await this.read<CrmFields>(`crm.${type}.get`, { id });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async list(type: CrmEntityType, filter: Record<string, unknown>, select: string[] = ['ID']): Promise<CrmFields[]> {
    const items = await this.read<CrmFields[]>(`crm.${type}.list`, { filter, select, order: { ID: 'ASC' } });
    return Array.isArray(items) ? items : [];
  }

  /** What the bridge made under `originId` (its idempotency key), oldest first. */
  async madeBy(type: CrmEntityType, originId: string): Promise<number[]> {
    const items = await this.list(type, { ORIGINATOR_ID: BRIDGE_ORIGINATOR, ORIGIN_ID: originId });
    return items.map((i) => Number(i.ID)).filter((n) => n > 0);
  }

  /** Entities whose IM multifield holds the dialog's IMOL value (spec §6, "Find the CRM object"). */
  async byImol(type: CrmEntityType, imolValue: string): Promise<number[]> {
    const res = await this.read<{ items?: Array<{ id?: unknown }> } | Array<{ id?: unknown }>>('crm.item.list', {
      entityTypeId: ENTITY_TYPE_ID[type], filter: { '=imol': imolValue }, select: ['id'],
    });
    const items = Array.isArray(res) ? res : res.items ?? [];
    return items.map((i) => Number(i.id)).filter((n) => n > 0);
  }

  async add(type: CrmEntityType, fields: CrmFields): Promise<number> {
    return Number(await this.write(`crm.${type}.add`, { fields, params: { REGISTER_SONET_EVENT: 'Y' } }));
  }

  async update(type: CrmEntityType, id: number, fields: CrmFields): Promise<void> {
    await this.write(`crm.${type}.update`, { id, fields, params: { REGISTER_SONET_EVENT: 'N' } });
  }

  /** `{CONTACT: [ids], LEAD: [ids]}`; nothing found → {} (the portal answers []). */
  async findByPhone(phone: string, entityType?: 'LEAD' | 'CONTACT'): Promise<Partial<Record<'LEAD' | 'CONTACT' | 'COMPANY', number[]>>> {
    const res = await this.read<unknown>('crm.duplicate.findbycomm', { type: 'PHONE', values: [phone], ...(entityType ? { entity_type: entityType } : {}) });
    if (!res || typeof res !== 'object' || Array.isArray(res)) return {};
    const out: Partial<Record<'LEAD' | 'CONTACT' | 'COMPANY', number[]>> = {};
    for (const key of ['LEAD', 'CONTACT', 'COMPANY'] as const) {
      const ids = (res as Record<string, unknown>)[key];
      if (Array.isArray(ids)) out[key] = ids.map(Number).filter((n) => n > 0);
    }
    return out;
  }

  async timelineComments(type: CrmEntityType, id: number): Promise<Array<{ COMMENT?: string }>> {
    const res = await this.read<Array<{ COMMENT?: string }>>('crm.timeline.comment.list', { filter: { ENTITY_ID: id, ENTITY_TYPE: type } });
    return Array.isArray(res) ? res : [];
  }

  async addTimelineComment(type: CrmEntityType, id: number, comment: string): Promise<void> {
    await this.write('crm.timeline.comment.add', { fields: { ENTITY_ID: id, ENTITY_TYPE: type, COMMENT: comment } });
  }

  /** A notification to a portal user; one with the same tag replaces the earlier (so a retry notifies once). */
  async notify(userId: number, message: string, tag: string): Promise<void> {
    await this.write('im.notify.system.add', { USER_ID: userId, MESSAGE: message, TAG: tag });
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { bitrixCode?: unknown }).bitrixCode;
  const status = (err as { status?: unknown }).status;
  return code === 'NOT_FOUND' || (status === 400 && /not found/i.test(String((err as Error).message)));
}

/** The multifield values of a field (`PHONE`, `IM`…), as the portal returns them. */
export function multiValues(fields: CrmFields | null, key: string): CrmMultiValue[] {
  const list = fields?.[key];
  return Array.isArray(list) ? (list as CrmMultiValue[]).filter((v) => v && typeof v.VALUE === 'string') : [];
}

/** A lead still being worked: not converted, not junk. */
export function isOpenLead(lead: CrmFields): boolean {
  const semantic = String(lead.STATUS_SEMANTIC_ID ?? '');
  const status = String(lead.STATUS_ID ?? '');
  return semantic === 'P' || (semantic === '' && status !== 'CONVERTED' && status !== 'JUNK');
}

export function isOpenDeal(deal: CrmFields): boolean {
  return String(deal.CLOSED ?? 'N') !== 'Y';
}
