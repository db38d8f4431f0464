/**
 * The CRM objects an Open Lines dialog is bound to, as `imopenlines.dialog.get` gives them
 * in `entity_data_2`: `"LEAD|1209|COMPANY|0|CONTACT|0|DEAL|0"` (spec bitrix24-rest §5);
 * 0 = none. Anything unreadable counts as no binding.
 */
export interface CrmBindings {
  LEAD: number;
  CONTACT: number;
  DEAL: number;
  COMPANY: number;
}

export const NO_BINDINGS: CrmBindings = { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 };

export function parseCrmBindings(entityData2: unknown): CrmBindings {
  const out: CrmBindings = { ...NO_BINDINGS };
  if (typeof entityData2 !== 'string') return out;
  const parts = entityData2.split('|');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i] as keyof CrmBindings;
    const id = Number(parts[i + 1]);
    if (key in out && Number.isInteger(id) && id > 0) out[key] = id;
  }
  return out;
}

export function isBound(bindings: CrmBindings): boolean {
  return bindings.LEAD > 0 || bindings.CONTACT > 0 || bindings.DEAL > 0 || bindings.COMPANY > 0;
}
