/**
 * Events posted to bound handlers as the real portal posts them (spec §7):
 * one form-encoded POST with PHP bracket keys (`data[MESSAGES][0][im][chat_id]`),
 * every scalar a string, `event`, `event_handler_id`, `ts` and `auth[...]`;
 * NO retries: a handler that errors or times out loses the event. Not sent
 * before the app's install is complete. Knobs: delay, drop, duplicate, reorder.
 */
import { setMaxListeners } from 'node:events';
import { stringify } from 'qs';
import { abortOnTimeoutOrSignal } from '../../src/domain/abort-after.ts';
import type { Bitrix24Context, PendingDeliveries } from './context.ts';
import type { EventDelivery } from './model.ts';
import type { PortalState } from './portal.ts';
import { authBlock, issueTokens } from './tokens.ts';

/** Events raised without a user action carry no tokens in `auth`. */
const WITHOUT_TOKENS = new Set(['ONAPPUNINSTALL', 'ONIMCONNECTORLINEDELETE', 'ONIMCONNECTORSTATUSDELETE']);

function stringsOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringsOnly);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringsOnly(v)]));
  }
  return value === null || value === undefined ? '' : String(value);
}

export class EventSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Ends every delivery in flight at close; each holds one listener on it until it ends, so there is no fixed cap. */
  private readonly aborter = new AbortController();
  private posting = 0;
  private scheduledTotal = 0;

  constructor(private readonly ctx: Bitrix24Context) {
    setMaxListeners(0, this.aborter.signal);
  }

  emit(portal: PortalState, clientId: string | null, event: string, data: unknown, actingUserId = 2): void {
    for (const binding of portal.bindings) {
      if (binding.event !== event || (clientId && binding.clientId !== clientId)) continue;
      const install = portal.installOf(binding.clientId);
      if (!install?.installed) continue;
      const tokens = WITHOUT_TOKENS.has(event) ? null : issueTokens(this.ctx, portal, binding.clientId, actingUserId);
      const body = {
        event,
        event_handler_id: String(binding.id),
        data: stringsOnly(data),
        ts: String(Math.floor(Date.now() / 1000)),
        auth: authBlock(this.ctx, portal, binding.clientId, tokens),
      };
      this.dispatch(portal, binding.handler, event, body);
    }
  }

  private dispatch(portal: PortalState, handler: string, event: string, body: Record<string, unknown>): void {
    const { settings, random } = this.ctx;
    if (random() < settings.eventDropRate) {
      this.ctx.deliveries.push({ portalId: portal.id, event, handler, atMs: Date.now(), status: null, body, dropped: true });
      return;
    }
    const copies = random() < settings.eventDuplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delayMs = settings.eventDelayMs + (settings.eventReorder ? random() * 50 : 0);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.posting++;
        void this.post(portal, handler, event, body).finally(() => this.posting--);
      }, delayMs);
      this.timers.add(timer);
      this.scheduledTotal++;
    }
  }

  pendingDeliveries(): Omit<PendingDeliveries, 'crmPending'> {
    return { pending: this.timers.size + this.posting, scheduled: this.scheduledTotal };
  }

  private async post(portal: PortalState, handler: string, event: string, body: Record<string, unknown>): Promise<void> {
    const record: EventDelivery = { portalId: portal.id, event, handler, atMs: Date.now(), status: null, body };
    this.ctx.deliveries.push(record);
    // Not AbortSignal.any([AbortSignal.timeout(…), …]): a garbage collection may drop it on Node 20 (abort-after.ts).
    const abort = abortOnTimeoutOrSignal(this.ctx.settings.eventTimeoutMs, this.aborter.signal);
    try {
      const res = await fetch(handler, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Bitrix24 Webhook Engine' },
        body: stringify(body),
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      record.status = res.status;
    } catch (err) {
      record.error = err instanceof Error ? err.name : 'error';
    } finally {
      abort.release();
    }
  }

  close(): void {
    this.aborter.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
