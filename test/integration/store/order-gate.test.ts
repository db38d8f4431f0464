/**
 * The order gate (src/bridge/order/gate.ts) over a real database, on the
 * injected clock: each hold alone — what it holds, until when, and what lets
 * it go — then all of them at once, peeling off one by one in the gate's
 * order, and the same for operator replies. Real stores (both engines), real
 * in-flight registry and heartbeats; only the clock is the test's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEAD_AFTER_MS, HEARTBEAT_MS, INTAKE_RECHECK_MS, INTAKE_STUCK_MS, LINE_WINDOW_MARGIN_MS, STORED_HOLD_RECHECK_MS,
} from '../../../src/bridge/order/constants.ts';
import { OrderGate, type OrderGateDeps } from '../../../src/bridge/order/gate.ts';
import type { HoldName } from '../../../src/bridge/order/hold-reason.ts';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';
import type { ConversationId, LineRef, MessageKey, PortalId } from '../../../src/domain/ids.ts';
import { MAX_CATCHUP_JOB, MAX_UPDATE_JOB } from '../../../src/queue/job-kinds.ts';
import type { Store } from '../../../src/store/open-store.ts';
import { sortKeyOf, type PendingOutboxRow } from '../../../src/store/repos/outbox-repo.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { peerWorld } from '../../helpers/peer-world.ts';
import { storeFor } from '../../helpers/store.ts';

const LINE_WINDOW_MS = 5_000; // the config schema's default
let unique = 0;

for (const engine of testEngines()) {
  describe(`the order gate (${engine.name})`, () => {
    const clock = new ManualClock();
    const storeOf = storeFor(engine, clock);

    /** A line of its own per test (the line window learns per line), and helpers on it. */
    function line(store: Store, more: Partial<OrderGateDeps> = {}) {
      const lineRef = `main:${++unique}`;
      const gate = new OrderGate({ store, clock, lineReorderWindowMs: LINE_WINDOW_MS, operatorReorderWindowMs: 5, ...more });
      return {
        gate,
        /** A client's message queued for the line: MAX stamped it `tsMs`, it reached us at `arrivedMs` (default now). */
        async item(conversationId: string, tsMs: number, arrivedMs = clock.nowMs()): Promise<PendingOutboxRow> {
          const messageKey = `m${++unique}`;
          await store.db.transaction().execute((trx) => store.outbox.enqueue([{
            lineRef: lineRef as LineRef, conversationId: conversationId as ConversationId, method: 'send', messageKey: messageKey as MessageKey, sortKey: sortKeyOf(tsMs), tsMs, arrivedMs, item: { text: messageKey },
          }], 'main' as PortalId, trx));
          return (await store.outbox.pendingOf(lineRef as LineRef, [conversationId as ConversationId])).find((r) => r.messageKey === messageKey) as PendingOutboxRow;
        },
        /** The gate's answer for these rows now (one plan). */
        async why(row: PendingOutboxRow, rows: PendingOutboxRow[] = [row]) {
          return (await gate.forLine(lineRef, rows)).whyNotYet(row);
        },
      };
    }
    /** A MAX update stored with its `max.update` job, not processed yet; returns the job's id. */
    async function storedUpdate(store: Store, conversationId: string, tsMs: number): Promise<number> {
      const { jobIds } = await store.events.record({
        source: 'max', kind: 'message_edited', dedupeKey: `u${++unique}`, raw: JSON.stringify({ update_type: 'message_edited', timestamp: tsMs }),
        jobs: [{ kind: MAX_UPDATE_JOB, conversationKey: `max:${conversationId}`, payload: {} }],
      });
      return jobIds[0] as number;
    }
    const catchUpJob = (store: Store, conversationId: string) =>
      store.jobs.enqueue({ kind: MAX_CATCHUP_JOB, conversationKey: `max:${conversationId}`, resourceKey: null, payload: {} });
    /** The job ran. */
    const done = async (store: Store, jobId: number) => {
      await store.db.updateTable('jobs').set({ state: 'done' }).where('id', '=', jobId).execute();
    };
    const hold = (reason: { hold: HoldName } | null) => reason?.hold ?? null;

    test('a lone message on a quiet line waits the 2 ms margin only (reorder-window alone)', async () => {
      const l = line(storeOf());
      const row = await l.item('bot:906', clock.nowMs() - 40);
      assert.deepEqual(await l.why(row), { hold: 'reorder-window', lookAgainAtMs: row.arrivedMs + LINE_WINDOW_MARGIN_MS });
      await clock.advance(LINE_WINDOW_MARGIN_MS);
      assert.equal(await l.why(row), null);
    });

    test('after a restart a conversation waits for its catch-up, however long, and only it (catch-up alone)', async () => {
      const store = storeOf();
      const l = line(store);
      const job = await catchUpJob(store, 'bot:908');
      const row = await l.item('bot:908', clock.nowMs() - 40);
      const other = await l.item('bot:905', clock.nowMs() - 40);
      await clock.advance(60_000);
      assert.deepEqual(await l.why(row, [row, other]), { hold: 'catch-up', lookAgainAtMs: clock.nowMs() + STORED_HOLD_RECHECK_MS });
      assert.equal(await l.why(other, [row, other]), null, 'another conversation is not held');
      await done(store, job);
      assert.equal(await l.why(row), null);
    });

    test('an earlier update stored but unprocessed goes first however long; a later one holds up to the line window (stored updates alone)', async () => {
      const store = storeOf();
      const l = line(store);
      const t = clock.nowMs() - 100;
      const earlier = await storedUpdate(store, 'bot:903', t - 10);
      const row = await l.item('bot:903', t);
      await clock.advance(3_600_000);
      assert.deepEqual(await l.why(row), { hold: 'earlier-update', lookAgainAtMs: clock.nowMs() + STORED_HOLD_RECHECK_MS }, 'an hour later: still first');
      await done(store, earlier);
      // A later update being processed may still queue an earlier message (a late arrival).
      const row2 = await l.item('bot:904', clock.nowMs() - 100);
      const later = await storedUpdate(store, 'bot:904', clock.nowMs());
      assert.deepEqual(await l.why(row2), { hold: 'update-in-process', lookAgainAtMs: row2.arrivedMs + LINE_WINDOW_MS });
      await clock.advance(LINE_WINDOW_MS);
      assert.equal(await l.why(row2), null, 'at the cap it goes');
      await done(store, later);
      assert.equal(await l.why(row), null, 'the earlier one processed: it goes');
    });

    test('a request still being taken in holds the items that arrived with or after it; the flush waits for it on the clock (in-flight alone)', async () => {
      const inFlight = new InFlightRequests(clock);
      const l = line(storeOf(), { intake: inFlight });
      const request = inFlight.begin(); // an earlier message, parsed but not stored yet
      const row = await l.item('bot:902', clock.nowMs() - 40);
      assert.deepEqual(await l.why(row), { hold: 'in-flight', lookAgainAtMs: clock.nowMs() + INTAKE_RECHECK_MS });
      // The flush waits for it before planning (holding its slot), until it settles...
      let settled = false;
      const waiting = l.gate.settleBeforeLinePlan().then(() => { settled = true; });
      await clock.advance(INTAKE_STUCK_MS - 1);
      assert.equal(settled, false);
      inFlight.end(request);
      await waiting;
      assert.equal(await l.why(row), null, 'settled: it goes (its margin passed long ago)');
      // ...or until INTAKE_STUCK_MS: a client trickling its body holds nothing back.
      inFlight.begin();
      const stuck = l.gate.settleBeforeLinePlan();
      await clock.advance(INTAKE_STUCK_MS);
      await stuck;
      await clock.advance(1);
      const row2 = await l.item('bot:900', clock.nowMs() - 40, clock.nowMs() - 10);
      await clock.advance(LINE_WINDOW_MARGIN_MS);
      assert.equal(await l.why(row2), null, 'a request older than INTAKE_STUCK_MS holds nothing');
    });

    test('another process must beat, settled, after an item arrived; a dead one holds it until it is recovered (peers alone)', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const w = peerWorld(store, clock);
      const recovered: string[] = [];
      const self = await w.start('self', { recover: async (id) => { recovered.push(id); } });
      const other = await w.start('other');
      try {
        await w.round(); // self has read other's heartbeat
        const l = line(store, { peers: self });
        const row = await l.item('bot:907', clock.nowMs() - 40);
        assert.deepEqual(await l.why(row), { hold: 'peers', lookAgainAtMs: clock.nowMs() + HEARTBEAT_MS });
        await w.roundsUntil(() => self.others().every((p) => p.settledMs > row.arrivedMs + 50), 3);
        assert.equal(await l.why(row), null, 'the other beat since: it goes');
        await w.kill(other, 'other');
        const row2 = await l.item('bot:901', clock.nowMs() - 40);
        await w.roundsUntil(() => recovered.length > 0, DEAD_AFTER_MS / HEARTBEAT_MS + 2);
        assert.equal(hold(await l.why(row2)), 'peers', 'held until the dead one is recovered');
        await w.roundsUntil(() => self.others().length === 0, 2);
        assert.equal(await l.why(row2), null);
      } finally {
        await self.stop();
        await other.stop();
      }
    });

    test('overtakes on the line stretch the wait to twice the largest straggle (reorder-window learned)', async () => {
      const l = line(storeOf());
      const t = clock.nowMs();
      const overtaker = await l.item('bot:913', t - 30, t - 60); // stamped later, came first
      const overtaken = await l.item('bot:914', t - 40, t);      // stamped 10 ms earlier, came 60 ms later: 70 ms straggle
      await l.why(overtaker, [overtaker, overtaken]);
      // One that came the line's quickest way (30 ms "ahead" of MAX's stamp, as the overtaker did).
      const next = await l.item('bot:912', t + 30, t);
      assert.deepEqual(await l.why(next), { hold: 'reorder-window', lookAgainAtMs: t + 2 * 70 + LINE_WINDOW_MARGIN_MS });
    });

    test('all holds at once let go one by one, in the gate\'s order: catch-up, in-flight, peers, earlier update, window', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const inFlight = new InFlightRequests(clock);
      const w = peerWorld(store, clock);
      const self = await w.start('self2');
      const other = await w.start('other2');
      try {
        await w.round(); // each has read the other's heartbeat
        const l = line(store, { intake: inFlight, peers: self });
        const conversation = 'bot:911';
        const catchUp = await catchUpJob(store, conversation);
        const request = inFlight.begin();
        const earlier = await storedUpdate(store, conversation, clock.nowMs() - 50);
        const row = await l.item(conversation, clock.nowMs() - 40);
        assert.equal(hold(await l.why(row)), 'catch-up');
        await done(store, catchUp);
        assert.equal(hold(await l.why(row)), 'in-flight');
        inFlight.end(request);
        await clock.advance(1); // the item's own request began in that millisecond too
        assert.equal(hold(await l.why(row)), 'peers');
        await w.roundsUntil(() => self.others().every((p) => p.settledMs > row.arrivedMs + 50), 3);
        assert.equal(hold(await l.why(row)), 'earlier-update', 'the peers beat; the earlier update still goes first');
        await done(store, earlier);
        const reason = await l.why(row);
        assert.equal(reason, null, `the margin passed with the beats (${JSON.stringify(reason)})`);
        // With nothing else in the way, a fresh item of the conversation waits for the window only.
        const fresh = await l.item(conversation, clock.nowMs() - 40);
        await w.roundsUntil(() => self.others().every((p) => p.settledMs > fresh.arrivedMs + 50), 3);
        assert.equal(hold(await l.why(fresh)), null, 'each hold let go');
      } finally {
        await self.stop();
        await other.stop();
      }
    });

    test('with the line window off, what is capped by it holds nothing; catch-up, an earlier update and the peers still do', async () => {
      const store = storeOf();
      const inFlight = new InFlightRequests(clock);
      const l = line(store, { intake: inFlight, lineReorderWindowMs: 0 });
      inFlight.begin();
      const later = await l.item('bot:910', clock.nowMs() - 100);
      await storedUpdate(store, 'bot:910', clock.nowMs());
      assert.equal(await l.why(later), null, 'no in-flight, update-in-process nor window hold');
      const earlier = await storedUpdate(store, 'bot:909', clock.nowMs() - 200);
      const row = await l.item('bot:909', clock.nowMs() - 100);
      assert.equal(hold(await l.why(row)), 'earlier-update');
      await done(store, earlier);
      await catchUpJob(store, 'bot:909');
      assert.equal(hold(await l.why(row)), 'catch-up');
    });

    test('operator replies: the peers, then requests in flight (waited), then the reply window, then what is in flight as it goes; each alone and together', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const inFlight = new InFlightRequests(clock);
      const w = peerWorld(store, clock);
      const self = await w.start('self3');
      const other = await w.start('other3');
      try {
        await w.round(); // each has read the other's heartbeat
        const gate = new OrderGate({ store, clock, lineReorderWindowMs: LINE_WINDOW_MS, operatorReorderWindowMs: 5, intake: inFlight, peers: self });
        assert.equal(gate.ordersReplies, true);
        const request = inFlight.begin(); // an earlier reply's event, still being received
        const reply = { portalId: 'p', receivedAtMs: clock.nowMs(), tsSeconds: String(Math.floor(clock.nowMs() / 1000)) };
        assert.deepEqual(await gate.whyNotYetReply(reply), { hold: 'peers', lookAgainAtMs: clock.nowMs() + HEARTBEAT_MS });
        await w.roundsUntil(() => self.others().every((p) => p.settledMs > reply.receivedAtMs + 50), 3);
        // Past the peers, the reply waits (milliseconds, holding its worker) for the event request begun before it.
        let answered = false;
        const asked = gate.whyNotYetReply(reply).then((r) => { answered = true; return r; });
        await new Promise((r) => setImmediate(r));
        assert.equal(answered, false, 'waiting for the request in flight');
        // While it waits, a later request begins: an earlier-written reply that came late.
        const lateRequest = inFlight.begin();
        inFlight.end(request);
        await new Promise((r) => setImmediate(r));
        assert.equal(answered, false, 'about to go, it waits for what is being taken in now: the late reply is stored first');
        inFlight.end(lateRequest);
        assert.equal(await asked, null, 'settled, and its 5 ms window passed with the beats');
        // The window alone: a reply just received waits 5 ms.
        const fresh = { portalId: 'p', receivedAtMs: clock.nowMs(), tsSeconds: reply.tsSeconds };
        await w.roundsUntil(() => self.others().every((p) => p.settledMs > fresh.receivedAtMs + 50), 3);
        const late = { ...fresh, receivedAtMs: clock.nowMs() };
        const held = await gate.whyNotYetReply({ ...late, tsSeconds: String(Math.floor(late.receivedAtMs / 1000)) });
        assert.equal(hold(held), 'peers', 'the barrier comes first for a reply that just arrived');
        const alone = new OrderGate({ store, clock, lineReorderWindowMs: 0, operatorReorderWindowMs: 5 });
        assert.deepEqual(await alone.whyNotYetReply(late), { hold: 'operator-window', lookAgainAtMs: late.receivedAtMs + 5 });
        await clock.advance(5);
        assert.equal(await alone.whyNotYetReply(late), null);
        const off = new OrderGate({ store, clock, lineReorderWindowMs: 0, operatorReorderWindowMs: 0, intake: inFlight });
        inFlight.begin();
        assert.equal(await off.whyNotYetReply({ ...late, receivedAtMs: clock.nowMs() }), null, 'off: no window, no wait');
        assert.equal(off.ordersReplies, false);
      } finally {
        await self.stop();
        await other.stop();
      }
    });
  });
}
