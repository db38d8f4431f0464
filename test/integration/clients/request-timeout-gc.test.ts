/**
 * A request the other side never answers ends at its timeout, or when its job
 * is aborted, even when the garbage collector runs while it waits.
 *
 * Found by the full chaos run on SQLite: a line flush's
 * `imconnector.send.messages` met the portal's "never answer" fault and stayed
 * in flight for 254 s with a 3 s request timeout (journal: duration 254,659 ms,
 * no status); the job's lease was renewed all along, and 16,438 outbox items
 * waited behind it. The exchange passed fetch `AbortSignal.any([AbortSignal.timeout(ms),
 * jobSignal])`: on Node 20 only weak references lead to that composite, so a
 * collection during the request dropped it and neither the timeout nor an abort
 * reached fetch: the optimized exchange kept no reference to the timeout signal
 * after starting fetch, the timer holds it weakly, and a full collection during
 * the request dropped it, so it never fired. Here the Bitrix24 client calls the
 * emulator (portal fault `timeout`: never answers) with the journal in the real
 * store, both engines; the exchange is optimized first (as it is in a bridge
 * that has run a while: V8's natives syntax does now what thousands of calls do)
 * and full collections are forced while the call waits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { Bitrix24Client } from '../../../src/bitrix24/client.ts';
import { BITRIX24_ERROR_CODES } from '../../../src/bitrix24/errors.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { journaledExchange } from '../../../src/journal/exchange.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ctl, installApp, startAppHandler, type AppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

setFlagsFromString('--expose-gc');
setFlagsFromString('--allow-natives-syntax');
const gc = runInNewContext('gc') as () => void;
const prepareForOptimization = new Function('f', '%PrepareFunctionForOptimization(f);') as (f: unknown) => void;
const optimizeOnNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f);') as (f: unknown) => void;

const APP = { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' };
const REQUEST_TIMEOUT_MS = 400;

/** How the call ended and after how long; 'still waiting' when it had not ended after `guardMs`. */
async function outcome(call: Promise<unknown>, guardMs: number): Promise<{ result: unknown; ms: number }> {
  const started = Date.now();
  let guard: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    call.then(() => 'answered', (err: unknown) => err),
    new Promise((resolve) => { guard = setTimeout(() => resolve('still waiting'), guardMs); }),
  ]);
  clearTimeout(guard);
  return { result, ms: Date.now() - started };
}

/** The exchange as a bridge that has run a while has it: optimized (answered calls feed it first). */
async function optimizeExchange(answeredCall: () => Promise<unknown>): Promise<void> {
  prepareForOptimization(journaledExchange);
  for (let i = 0; i < 3; i++) await answeredCall();
  optimizeOnNextCall(journaledExchange);
  await answeredCall();
}

/** Full collections while the request is in flight (before its timeout). */
function collectMeanwhile(): void {
  for (const atMs of [30, 120, 250]) setTimeout(gc, atMs);
}

for (const engine of testEngines()) {
  describe(`a request the portal never answers ends, garbage collection or not (${engine.name})`, () => {
    let emu: Bitrix24Emulator;
    let handler: AppHandler;
    let store: Store;
    let client: Bitrix24Client;

    before(async () => {
      emu = await startBitrix24Emulator();
      handler = await startAppHandler();
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
      const { auth } = await installApp(emu.controlUrl, handler);
      await store.portals.upsertInstall(tokensFromInstall('p1', auth), APP.clientId);
      client = new Bitrix24Client({
        tokens: store.portals, credentials: APP, clock: systemClock, journal: store.journal,
        limitFor: () => ({ drainPerSecond: 50, burst: 50 }), timeoutMs: REQUEST_TIMEOUT_MS,
      });
    });
    after(async () => {
      await emu.close();
      await handler.close();
      await store.close();
      await engine.dropAll();
    });

    const answered = (c: Bitrix24Client) => () => c.call('p1', 'imopenlines.config.list.get', {}, { idempotent: true });
    const portalStopsAnswering = () => ctl(emu.controlUrl, 'PUT', '/portals/0/faults', { rules: [{ kind: 'timeout', rate: 1 }] });
    const portalAnswersAgain = () => ctl(emu.controlUrl, 'PUT', '/portals/0/faults', { rules: [] });

    test('a send the portal never answers fails at its timeout, and the journal says TIMEOUT', async () => {
      await optimizeExchange(answered(client));
      await portalStopsAnswering();
      const call = client.call('p1', 'imconnector.send.messages', { CONNECTOR: 'max_bridge', LINE: 1, MESSAGES: [] }, { correlation: { jobId: 'gc-timeout' } });
      collectMeanwhile();
      const { result, ms } = await outcome(call, 10 * REQUEST_TIMEOUT_MS);
      assert.notEqual(result, 'still waiting', 'the request outlived its timeout by 10× (the timeout signal was collected)');
      assert.equal((result as { code?: string }).code, BITRIX24_ERROR_CODES.network);
      assert.ok(ms < 5 * REQUEST_TIMEOUT_MS, `ended after ${ms} ms`);
      const row = (await store.journal.recent(20)).find((r) => r.job_id === 'gc-timeout');
      assert.equal(row?.error_code, 'TIMEOUT');
      assert.equal(row?.status, null);
      await portalAnswersAgain();
    });

    test('the job\'s abort reaches a request the portal never answers, after a collection', async () => {
      const slow = new Bitrix24Client({
        tokens: store.portals, credentials: APP, clock: systemClock, journal: store.journal,
        limitFor: () => ({ drainPerSecond: 50, burst: 50 }), timeoutMs: 60_000,
      });
      await optimizeExchange(answered(slow));
      await portalStopsAnswering();
      const job = new AbortController();
      const call = slow.call('p1', 'imconnector.send.messages', { CONNECTOR: 'max_bridge', LINE: 1, MESSAGES: [] }, { signal: job.signal });
      collectMeanwhile();
      setTimeout(() => job.abort(new Error('lease lost')), 350);
      const { result, ms } = await outcome(call, 5_000);
      assert.notEqual(result, 'still waiting', 'the abort never reached the request (the composite signal was collected)');
      assert.equal((result as Error).message, 'lease lost');
      assert.ok(ms < 2_000, `ended after ${ms} ms`);
      await portalAnswersAgain();
    });
  });
}
