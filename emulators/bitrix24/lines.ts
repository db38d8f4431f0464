/**
 * An Open Line's settings: the defaults of a new line, reading them from
 * `imopenlines.config.add|update` PARAMS (spec §5) and from the control API,
 * and what the CRM tracker derives from them.
 */
import type { LineState } from './model.ts';

export type LineSettings = Pick<LineState, 'name' | 'active' | 'crm' | 'crmCreate' | 'crmCreateSecond' | 'crmForward' | 'autoCloseTime' | 'crmLagMs'>;

/**
 * A new line: CRM on, a lead per new client, repeat leads on (CRM_CREATE_SECOND empty),
 * CRM_FORWARD on, auto-close after 4 h (14400 s), and the tracker 2 s after the message
 * (spec §6: creation lags the send by ~1–3 s [I]).
 */
export const LINE_DEFAULTS: LineSettings = {
  name: 'Открытая линия', active: true, crm: 'Y', crmCreate: 'lead', crmCreateSecond: '', crmForward: 'Y', autoCloseTime: '14400', crmLagMs: 2_000,
};

export function makeLine(id: number, settings: Partial<LineSettings>): LineState {
  return { id, ...LINE_DEFAULTS, ...settings, connectors: new Set(), connectorData: new Map() };
}

const yn = (v: unknown): 'Y' | 'N' | undefined => (v === 'Y' || v === 'N' ? v : undefined);
const crmCreateOf = (v: unknown): LineState['crmCreate'] | undefined => (v === 'lead' || v === 'deal' || v === 'none' ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function defined(settings: Partial<Record<keyof LineSettings, unknown>>): Partial<LineSettings> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<LineSettings>;
}

/** The settings a `PARAMS` object of imopenlines.config.add/update names; others are left alone. */
export function settingsFromParams(p: Record<string, unknown>): Partial<LineSettings> {
  return defined({
    name: typeof p.LINE_NAME === 'string' ? p.LINE_NAME : undefined,
    active: yn(p.ACTIVE) === undefined ? undefined : p.ACTIVE === 'Y',
    crm: yn(p.CRM),
    crmCreate: crmCreateOf(p.CRM_CREATE),
    crmCreateSecond: text(p.CRM_CREATE_SECOND),
    crmForward: yn(p.CRM_FORWARD),
    autoCloseTime: text(p.AUTO_CLOSE_TIME),
  });
}

/** The settings a control API body names (camelCase; `crmLagMs` only here). */
export function settingsFromControl(b: Record<string, unknown>): Partial<LineSettings> {
  return defined({
    name: typeof b.name === 'string' ? b.name : undefined,
    active: typeof b.active === 'boolean' ? b.active : undefined,
    crm: yn(b.crm),
    crmCreate: crmCreateOf(b.crmCreate),
    crmCreateSecond: text(b.crmCreateSecond),
    crmForward: yn(b.crmForward),
    autoCloseTime: text(b.autoCloseTime),
    crmLagMs: typeof b.crmLagMs === 'number' && b.crmLagMs >= 0 ? b.crmLagMs : undefined,
  });
}

/**
 * "Повторный лид": a returning client gets a new lead unless CRM_CREATE_SECOND is 'N'.
 * Integrators report that '0' still counts as on [I]; only 'N' switches it off here.
 */
export function repeatLeadsOn(line: LineState): boolean {
  return line.crmCreateSecond !== 'N';
}
