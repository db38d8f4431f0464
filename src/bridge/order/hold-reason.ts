/**
 * Why a message may not go yet: the order gate's answer (gate.ts), one name
 * per hold, each with the time to look again. Callers act on the time; the name
 * is for people (the job's NotYet reason, logs, tests).
 */
export type HoldReason =
  /** After a restart, the conversation's history is being read (`max.catchup`); catch-up-hold.ts. */
  | { hold: 'catch-up'; lookAgainAtMs: number }
  /** The conversation has an earlier MAX update stored but not processed yet: it goes first, however long that takes; stored-update-hold.ts. */
  | { hold: 'earlier-update'; lookAgainAtMs: number }
  /** The conversation has a later update stored but not processed yet: it may still queue an earlier message (a late arrival); up to the window's cap; stored-update-hold.ts. */
  | { hold: 'update-in-process'; lookAgainAtMs: number }
  /** This process is still taking in a request begun with or before the item's own; in-flight-hold.ts. */
  | { hold: 'in-flight'; lookAgainAtMs: number }
  /** Another bridge process has not shown itself alive and settled since the item arrived; peers-barrier.ts. */
  | { hold: 'peers'; lookAgainAtMs: number }
  /** The line's learned reorder window: an earlier MAX delivery may still be on its way; line-reorder-window.ts. */
  | { hold: 'reorder-window'; lookAgainAtMs: number }
  /** The operator reply window: an earlier reply's event may still be on its way; operator-reply-window.ts. */
  | { hold: 'operator-window'; lookAgainAtMs: number };

export type HoldName = HoldReason['hold'];

const WHY: Record<HoldName, string> = {
  'catch-up': 'the conversation\'s history is being read after a restart',
  'earlier-update': 'an earlier update of the conversation is stored but not processed yet',
  'update-in-process': 'an update of the conversation is still being processed and may bring an earlier message',
  'in-flight': 'a request begun before this one is still being taken in',
  peers: 'another bridge process may hold an earlier message',
  'reorder-window': 'an earlier message may still be on its way from MAX',
  'operator-window': 'earlier operator replies may still arrive',
};

/** A sentence for a NotYet or a log line. */
export function describeHold(reason: HoldReason): string {
  return WHY[reason.hold];
}
