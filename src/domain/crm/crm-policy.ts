/**
 * What the bridge does in the CRM for a route's conversations (docs/crm.md):
 * - `line`: the Open Line's own CRM tracker creates the lead or deal (the bridge provisions
 *   the lines it makes so that it does not repeat leads); the bridge verifies the binding,
 *   fills the source and the client's identity, and records what it did on the timeline;
 * - `lead`: the bridge keeps one lead per client, continued on return while it is open;
 * - `contact_deal`: the bridge finds or makes the client's contact and attaches the
 *   conversation to the contact's open deal, or opens one in the configured pipeline;
 * - `none`: no CRM call at all.
 * In `lead` and `contact_deal` the line's own creation is switched off (CRM_CREATE=none on
 * the lines such a route targets): the line only finds and binds what the bridge made.
 */
export const CRM_MODES = ['line', 'lead', 'contact_deal', 'none'] as const;
export type CrmMode = (typeof CRM_MODES)[number];

/** The bridge drives creation itself (the line must not create). */
export function bridgeCreates(mode: CrmMode): boolean {
  return mode === 'lead' || mode === 'contact_deal';
}

/** A deep-link payload that names a CRM source (`sources` in the configuration). */
export interface PayloadSource {
  /** Tested against the whole start payload (case-sensitive, like route conditions). */
  payload: RegExp;
  /** SOURCE_ID of the CRM (a code from the portal's source list, e.g. ADVERTISING). */
  sourceId: string;
  /** UTM fields this payload stands for, e.g. { UTM_SOURCE: 'vk' }. */
  utm: Partial<Record<UtmField, string>>;
}

export const UTM_FIELDS = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM'] as const;
export type UtmField = (typeof UTM_FIELDS)[number];

export interface CrmPolicy {
  mode: CrmMode;
  /** contact_deal: the pipeline (CATEGORY_ID) and stage (STAGE_ID) of a new deal. */
  deal: { categoryId: number; stageId: string };
  /** Ask for the phone with MAX's request-contact button at the first message of a new client. */
  askPhone: boolean;
  /** Parse `utm_*=…` in the start payload into the UTM fields. */
  sourceFromPayload: boolean;
  /** Payload → SOURCE_ID (and UTM) mappings, the first match wins. */
  sources: PayloadSource[];
}

export const NO_CRM: CrmPolicy = { mode: 'none', deal: { categoryId: 0, stageId: 'NEW' }, askPhone: false, sourceFromPayload: false, sources: [] };
