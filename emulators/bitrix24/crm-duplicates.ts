/**
 * Duplicate search by phone or e-mail as `crm.duplicate.findbycomm` does it
 * (spec §6; b24restdocs crm-duplicate-find-by-comm.md; Bitrix core
 * CCrmDuplicateRestProxy [S]): phones compare without formatting and
 * extension, e-mails case-insensitively; only the first 20 distinct string
 * values count; per value the types are searched lead → contact → company,
 * at most 20 hits each, and 20 hits in one type leave the following types out.
 */
import { multifieldsOf } from './crm-store.ts';
import type { CrmEntity } from './model.ts';
import type { CrmType, PortalState } from './portal.ts';

export const FIND_BY_COMM_MAX_VALUES = 20;
const HITS_PER_TYPE = 20;

/** The last 10 digits: +7 999 123-45-67, 8 (999) 1234567 and 79991234567 are one number. */
export function normalizePhone(value: string): string {
  return value.replace(/\D/g, '').slice(-10);
}

export function commKey(kind: 'PHONE' | 'EMAIL', value: string): string {
  return kind === 'PHONE' ? normalizePhone(value) : value.trim().toLowerCase();
}

export function hasComm(entity: CrmEntity, kind: 'PHONE' | 'EMAIL', key: string): boolean {
  return key !== '' && multifieldsOf(entity, kind).some((m) => commKey(kind, m.VALUE) === key);
}

/** `{LEAD:[ids], CONTACT:[ids], COMPANY:[ids]}`, only the types with hits (ids as integers). */
export function findByComm(portal: PortalState, kind: 'PHONE' | 'EMAIL', values: unknown[], only: CrmType | null): Record<string, number[]> {
  const keys = [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => commKey(kind, v)))]
    .slice(0, FIND_BY_COMM_MAX_VALUES);
  const types: CrmType[] = only ? [only] : ['lead', 'contact', 'company'];
  const out: Record<string, number[]> = {};
  for (const key of keys) {
    for (const type of types) {
      const hits = [...portal.crm[type].values()].filter((e) => hasComm(e, kind, key)).slice(0, HITS_PER_TYPE).map((e) => Number(e.ID));
      if (hits.length > 0) {
        const list = (out[type.toUpperCase()] ??= []);
        for (const id of hits) if (!list.includes(id)) list.push(id);
      }
      if (hits.length >= HITS_PER_TYPE) break;
    }
  }
  return out;
}
