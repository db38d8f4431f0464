/**
 * The verification after a CRM step: the object is bound to the conversation — the dialog's
 * own binding says so, or the object is found by the dialog's IM value (the line binds it at
 * the client's next message; spec bitrix24-rest §6 "Find the CRM object"). Not yet: the job
 * looks again with back-off (verify-wait.ts).
 */
import type { CrmEntityType } from '../../bitrix24/crm.ts';
import type { CrmSession } from './context.ts';
import { waitOrGiveUp } from './verify-wait.ts';

export async function confirmImol(s: CrmSession, type: CrmEntityType, id: number, boundId: number): Promise<void> {
  if (boundId === id) return;
  if ((await s.crm.byImol(type, s.imol)).includes(id)) return;
  await waitOrGiveUp(s, `${type} ${id} does not carry the dialog's IM value yet`);
}
