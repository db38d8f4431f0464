/**
 * The CRM tracker runs late (spec §6: creation lags the send by ~1–3 s [I]):
 * each client message schedules a run `line.crmLagMs × timeFactor` after it.
 * Nothing is scheduled for a message with `disable_crm: 'Y'`, through a
 * CHAT_GROUP connector (the caller checks both) or while the chat's session
 * is bound already; a run checks again (crm-tracker.ts), so of several quick
 * messages only the first binds. Timers do not keep the process alive and
 * end with the emulator; `pending()` lets tests wait until no run is due.
 */
import type { Bitrix24Context } from './context.ts';
import { hasCrmBinding, runTracker } from './crm-tracker.ts';
import type { LineState, OlChat } from './model.ts';
import type { PortalState } from './portal.ts';

export class CrmTrackerQueue {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ctx: Bitrix24Context) {}

  schedule(portal: PortalState, line: LineState, chat: OlChat): void {
    if (hasCrmBinding(chat)) return;
    // The client's data as the portal holds it now (this message's user merged in).
    const job = { lineId: line.id, chatId: chat.chatId, sessionId: chat.sessionId, user: { ...chat.externalUser } };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        runTracker(this.ctx, portal, job);
      } catch (err) {
        // A failed run loses that binding, as a real portal would; the emulator itself goes on.
        process.emitWarning(`bitrix24 emulator: CRM tracker failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, line.crmLagMs * this.ctx.settings.timeFactor);
    timer.unref();
    this.timers.add(timer);
  }

  /** Runs scheduled and not yet done. */
  pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
