/**
 * Every timing of the order gate, in one place (gate.ts; docs/architecture.md,
 * "The order gate"). Each hold is a policy of its own file; the numbers they
 * share or tune live here, with why they are what they are. The two windows'
 * caps are configuration (`workers.line_reorder_window_ms`, default 5,000;
 * `workers.operator_reorder_window_ms`, default 5): their defaults are the
 * config schema's, nowhere else.
 */

// --- Catch-up pending and stored-but-unprocessed updates (catch-up-hold.ts, stored-update-hold.ts)

/**
 * How soon a flush looks again at a conversation held for a catch-up job or for
 * an earlier update stored but not processed yet. Both take one job's run
 * (milliseconds to a history read); 200 ms keeps a held line from being
 * replanned in a busy loop while adding at most that to the held message.
 */
export const STORED_HOLD_RECHECK_MS = 200;

/**
 * MAX times of stored updates remembered by the gate (event id → ms): under a
 * backlog thousands of updates are pending, and each event's body is parsed
 * once, not once per plan. 50,000 entries are a few MB.
 */
export const UPDATE_TS_CACHE_SIZE = 50_000;

// --- Requests still being taken in (in-flight-hold.ts; the registry is src/domain/in-flight.ts)

/** How soon an item held for a request still being taken in is looked at again (they take milliseconds). */
export const INTAKE_RECHECK_MS = 3;

/**
 * A request taking longer than this to arrive (a client trickling its body)
 * holds nothing back: no webhook takes 2 s to read on a healthy bridge, and a
 * stuck one must not stall every line.
 */
export const INTAKE_STUCK_MS = 2_000;

// --- Several processes on PostgreSQL (peers-barrier.ts; the heartbeat is src/bridge/peers.ts)

/** How often each process writes its heartbeat; also how soon an item the barrier holds is looked at again. */
export const HEARTBEAT_MS = 200;

/**
 * An item goes once every other process has shown itself alive (with everything
 * it began taking in settled) this long after the item arrived: a heartbeat
 * written in the same millisecond may have been read before the item's own
 * request was counted.
 */
export const GRACE_MS = 50;

/** A process whose heartbeat is older than this is dead: ten heartbeats missed, not one slow one. */
export const DEAD_AFTER_MS = 2_000;

// --- The line's reorder window: MAX deliveries that straggle (line-reorder-window.ts)

/** Overtakes seen within this long shape the window; older ones are forgotten (a quiet line is quick again). */
export const LINE_WINDOW_HORIZON_MS = 10_000;

/** Stragglers come in bursts: an item waits this many times the largest recent straggle. */
export const LINE_WINDOW_SAFETY_FACTOR = 2;

/** The wait on a line that has seen no overtake (MAX stamps are whole milliseconds). */
export const LINE_WINDOW_MARGIN_MS = 2;

/** How many neighbours (in MAX order) an arrival is compared with to spot an overtake. */
export const LINE_WINDOW_NEIGHBOURS = 256;

/** How often the window's memory is pruned to the horizon (pruning is linear in what it holds). */
export const LINE_WINDOW_PRUNE_EVERY_MS = 1_000;

// --- The operator reply window: Bitrix24 events that come late (operator-reply-window.ts)

/** The most a reply waits for earlier ones however slow deliveries get (above it, only reconciliation helps). */
export const OPERATOR_WINDOW_CAP_MS = 5_000;

/** Lateness seen within this long shapes the wait. */
export const OPERATOR_WINDOW_HORIZON_MS = 10_000;

/** While events come late a reply waits this many times the largest recent lateness. */
export const OPERATOR_WINDOW_SAFETY_FACTOR = 2;

/** Recent arrivals kept per portal to spot overtaken events (message ids). */
export const OPERATOR_ARRIVALS_KEPT = 2_000;

/** An event's `ts` is whole seconds: lateness from it is known only to within this much. */
export const EVENT_TS_ROUNDING_MS = 1_000;
