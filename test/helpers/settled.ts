/**
 * Waiting on what a fixed sleep used to stand for. A test that asserts that something did
 * NOT happen (an update not delivered twice, a reply not sent) waits until the bridge and
 * both emulators are provably at rest (`untilIdle`); a test that needs a request "surely
 * taken in", or a later item "surely held" behind it, waits on the bridge's in-flight
 * registry (src/domain/in-flight.ts).
 */
import { sql } from 'kysely';
import type { Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import type { MaxEmulator } from '../../emulators/max/index.ts';
import type { Bridge } from '../../src/runtime/start-bridge.ts';
import { until } from './e2e.ts';

interface Look {
  /** Work still to do: zero everywhere is rest. */
  busy: Record<string, number>;
  /** Counts that move whenever work passes from one place to the next. */
  marks: Record<string, number>;
}

async function look(bridge: Bridge, emulators: { max: MaxEmulator; bitrix24: Bitrix24Emulator }): Promise<Look> {
  const { db } = bridge.store;
  const max = emulators.max.pendingDeliveries();
  const bitrix24 = emulators.bitrix24.context.pendingDeliveries();
  const jobs = await db.selectFrom('jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('id').as('last')])
    .groupBy('state').execute();
  const items = await db.selectFrom('line_outbox').innerJoin('lines', 'lines.id', 'line_outbox.line_ref')
    .select(['line_outbox.state', 'lines.state as line_state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('line_outbox.id').as('last')])
    .groupBy(['line_outbox.state', 'lines.state']).execute();
  const events = await db.selectFrom('events').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const count = (rows: Array<{ n: number | string }>) => rows.reduce((sum, r) => sum + Number(r.n), 0);
  return {
    busy: {
      maxDeliveries: max.pending,
      bitrix24Events: bitrix24.pending,
      // The line's CRM tracker still to run (it binds seconds after a message, and fires CRM events).
      bitrix24Crm: bitrix24.crmPending ?? 0,
      requestsTakenIn: bridge.inFlight.size,
      // A job deferred to later counts: it will still run.
      jobs: count(jobs.filter((r) => r.state === 'pending' || r.state === 'running')),
      // A paused line's items wait for its restore: rest, not work.
      lineItems: count(items.filter((r) => r.state === 'pending' && r.line_state === 'active')),
    },
    marks: {
      maxScheduled: max.scheduled,
      bitrix24Scheduled: bitrix24.scheduled,
      events: Number(events.n),
      ...Object.fromEntries(jobs.flatMap((r) => [[`jobs.${r.state}`, Number(r.n)], [`jobs.${r.state}.last`, Number(r.last)]])),
      ...Object.fromEntries(items.flatMap((r) => [[`items.${r.state}.${r.line_state}`, Number(r.n)], [`items.${r.state}.${r.line_state}.last`, Number(r.last)]])),
    },
  };
}

const atRest = (l: Look) => Object.values(l.busy).every((n) => n === 0);
const sameMarks = (a: Look, b: Look) => JSON.stringify(Object.entries(a.marks).sort()) === JSON.stringify(Object.entries(b.marks).sort());

/**
 * Until nothing more can happen without a new push from the test: the emulators have nothing
 * on its way to the bridge (MAX: webhook deliveries scheduled or being posted, updates queued
 * for a polling bot and not committed — retries waiting out MAX's back-off are not counted;
 * Bitrix24: events scheduled or being posted), the bridge is taking in no request, has no job
 * pending or running and no item pending on an active line. Work passes from one of these places to the
 * next only by writing something (a delivery, an event, a job, an item, a finished state): two
 * looks in a row at rest with the same counts mean nothing was handed on while looking.
 */
export async function untilIdle(bridge: Bridge, emulators: { max: MaxEmulator; bitrix24: Bitrix24Emulator }, timeoutMs = 30_000): Promise<void> {
  let previous: Look | null = null;
  let last: Look | null = null;
  await until(async () => {
    last = await look(bridge, emulators);
    const settled = previous !== null && atRest(previous) && atRest(last) && sameMarks(previous, last);
    previous = last;
    return settled ? true : undefined;
  }, timeoutMs).catch((err: unknown) => {
    throw new Error(`the bridge did not come to rest in ${timeoutMs} ms; still busy: ${JSON.stringify(last?.busy)}`, { cause: err });
  });
}

/** Until the bridge has begun taking in a request (its headers are parsed and it counts in the in-flight registry). */
export async function untilTakingIn(bridge: Bridge): Promise<void> {
  await until(() => (bridge.inFlight.size > 0 ? true : undefined));
}

/**
 * Until a job of the bridge waits in the order gate for a request still being taken in: what
 * came after that request is held now, and stays held until it is settled (or stuck for
 * INTAKE_STUCK_MS, src/bridge/order/constants.ts). Or until `went()` says that what should be
 * held went anyway: the test's assertion then fails with its own message, without a timeout.
 */
export async function untilHeldByIntake(bridge: Bridge, went: () => Promise<boolean> | boolean): Promise<void> {
  await until(async () => (bridge.inFlight.waiting > 0 || (await went()) ? true : undefined));
}
