/**
 * The transform hook runner with real worker threads: every way an integrator's
 * hook can end (changed, absent, null, throwing, malformed, hanging, looping, not
 * there) gives a result and never a rejection; a looping hook is stopped without
 * stalling the main thread, and the pool serves the next call afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TransformContext, TransformMessage } from '../../../src/domain/transform/transform-message.ts';
import { TransformHookRunner, type HookOutcome } from '../../../src/transform/hook-runner.ts';

const TIMEOUT_MS = 300;
/** Generous bound for "about timeoutMs": worker start-up under tsx takes most of a second. */
const PROMPT_MS = 5_000;

const MESSAGE: TransformMessage = {
  text: 'Здравствуйте',
  attachments: [{ type: 'file', name: 'счёт.pdf', sizeBytes: 2048, url: 'https://files.example/1' }],
};
const CONTEXT: TransformContext = {
  direction: 'inbound', route: 'sales', botId: 'shop-bot', portalId: 'main', lineId: 3, conversationId: 'shop-bot:42',
  client: { name: 'Анна', maxUserId: '42', profileUrl: null, language: 'ru' },
  source: { startPayload: 'promo' },
};

describe('transform hook runner (worker threads)', () => {
  let dir: string;
  let runner: TransformHookRunner;
  const outcomes: HookOutcome[] = [];
  const hook = (name: string, source: string) => {
    const path = join(dir, `${name}.mjs`);
    writeFileSync(path, source);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'brg-transform-'));
    runner = new TransformHookRunner({ timeoutMs: TIMEOUT_MS, maxThreads: 2, onOutcome: (o) => outcomes.push(o) });
  });
  after(async () => {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a hook that changes the text: changed, with the new message; the context arrives', async () => {
    const path = hook('changed', `
      export async function transformInbound(message, context) {
        await new Promise((r) => setTimeout(r, 5));
        return { ...message, text: '[' + context.route + '/' + context.source.startPayload + '] ' + message.text.toUpperCase() };
      }`);
    const result = await runner.run(path, 'inbound', MESSAGE, CONTEXT);
    assert.equal(result.outcome, 'changed', result.reason);
    assert.deepEqual(result.message, { ...MESSAGE, text: '[sales/promo] ЗДРАВСТВУЙТЕ' });
    assert.ok(result.durationMs >= 0);
    assert.deepEqual(MESSAGE.text, 'Здравствуйте', 'the caller’s object is untouched');
  });

  test('a hook that edits its argument in place and returns it: changed', async () => {
    const path = hook('in-place', 'export function transformInbound(m) { m.attachments.pop(); return m; }');
    const result = await runner.run(path, 'inbound', MESSAGE, CONTEXT);
    assert.equal(result.outcome, 'changed');
    assert.deepEqual(result.message, { text: MESSAGE.text, attachments: [] });
  });

  test('the direction picks the function; one that is absent or returns the same message: unchanged', async () => {
    const path = hook('outbound-only', `
      export function transformOutbound(message) { return { text: message.text + ' — Ольга', attachments: [] }; }
      export function transformInbound(message) { return structuredClone(message); }`);
    const outbound = await runner.run(path, 'outbound', MESSAGE, { ...CONTEXT, direction: 'outbound' });
    assert.equal(outbound.outcome, 'changed');
    assert.deepEqual(outbound.message, { text: 'Здравствуйте — Ольга', attachments: [] });
    const same = await runner.run(path, 'inbound', MESSAGE, CONTEXT);
    assert.equal(same.outcome, 'unchanged');
    const absent = await runner.run(hook('empty', 'export const nothing = 1;'), 'inbound', MESSAGE, CONTEXT);
    assert.deepEqual([absent.outcome, absent.message], ['unchanged', MESSAGE]);
  });

  test('null: dropped, with the reason', async () => {
    const result = await runner.run(hook('drop', 'export const transformInbound = async () => null;'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(result.outcome, 'dropped');
    assert.equal(result.reason, 'hook returned null');
  });

  test('a hook that throws, or returns something malformed: failed, message unchanged', async () => {
    const threw = await runner.run(hook('throws', 'export function transformInbound() { throw new TypeError("нет связи с ERP"); }'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(threw.outcome, 'failed');
    assert.deepEqual(threw.message, MESSAGE);
    assert.match(threw.reason ?? '', /transformInbound threw: TypeError: нет связи с ERP/);
    const malformed = await runner.run(hook('malformed', 'export const transformInbound = (m) => ({ text: 42, attachments: m.attachments });'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(malformed.outcome, 'failed');
    assert.match(malformed.reason ?? '', /malformed message: text must be a string/);
    const undef = await runner.run(hook('mutates', 'export function transformInbound(m) { m.text = "x"; }'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(undef.outcome, 'failed');
    assert.deepEqual(undef.message, MESSAGE);
  });

  test('a missing module or a relative path: failed, with a clear reason', async () => {
    const missing = await runner.run(join(dir, 'no-such-hook.mjs'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(missing.outcome, 'failed');
    assert.match(missing.reason ?? '', /could not load hook module .*no-such-hook\.mjs/);
    const relative = await runner.run('hooks/x.mjs', 'inbound', MESSAGE, CONTEXT);
    assert.equal(relative.outcome, 'failed');
    assert.match(relative.reason ?? '', /must be absolute/);
  });

  test('a promise that never settles: timeout after about timeoutMs, message unchanged', async () => {
    const path = hook('hangs', 'export function transformInbound() { return new Promise(() => {}); }');
    const startedAt = Date.now();
    const result = await runner.run(path, 'inbound', MESSAGE, CONTEXT);
    assert.equal(result.outcome, 'timeout');
    assert.deepEqual(result.message, MESSAGE);
    assert.match(result.reason ?? '', /longer than 300 ms/);
    assert.ok(Date.now() - startedAt < PROMPT_MS, `took ${Date.now() - startedAt} ms`);
  });

  test('an endless synchronous loop: timeout, the main thread keeps ticking, and the pool serves the next call', async () => {
    const looping = hook('loops', 'export function transformInbound() { while (true) {} }');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    try {
      const startedAt = Date.now();
      const result = await runner.run(looping, 'inbound', MESSAGE, CONTEXT);
      assert.equal(result.outcome, 'timeout');
      assert.deepEqual(result.message, MESSAGE);
      assert.ok(Date.now() - startedAt < PROMPT_MS, `took ${Date.now() - startedAt} ms`);
      // The loop ran for ≥ TIMEOUT_MS; a main thread blocked that long would have missed most ticks.
      assert.ok(ticks >= 10, `only ${ticks} ticks of 10 ms during the loop`);
    } finally {
      clearInterval(ticker);
    }
    const next = await runner.run(hook('after-loop', 'export const transformInbound = (m) => ({ ...m, text: "ok" });'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(next.outcome, 'changed', next.reason);
    assert.equal(next.message.text, 'ok');
  });

  test('two looping hooks at once do not wedge the pool', async () => {
    const looping = hook('loops-2', 'export function transformInbound() { for (;;) {} }');
    const results = await Promise.all([1, 2, 3].map(() => runner.run(looping, 'inbound', MESSAGE, CONTEXT)));
    assert.deepEqual(results.map((r) => r.outcome), ['timeout', 'timeout', 'timeout']);
    const next = await runner.run(hook('after-loops', 'export const transformInbound = () => null;'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(next.outcome, 'dropped');
  });

  test('onOutcome saw every call, with direction, route and module', () => {
    const kinds = new Set(outcomes.map((o) => o.outcome));
    assert.deepEqual([...kinds].sort(), ['changed', 'dropped', 'failed', 'timeout', 'unchanged']);
    const first = outcomes[0]!;
    assert.equal(first.direction, 'inbound');
    assert.equal(first.route, 'sales');
    assert.match(first.modulePath, /changed\.mjs$/);
    assert.equal(outcomes.length, 18);
  });

  test('a hook over its heap limit: failed, the bridge stays up', async () => {
    const small = new TransformHookRunner({ timeoutMs: 20_000, maxHeapMb: 32 });
    try {
      const path = hook('hog', 'export function transformInbound() { const a = []; for (;;) a.push(new Array(1000).fill(Math.random())); }');
      const result = await small.run(path, 'inbound', MESSAGE, CONTEXT);
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(result.message, MESSAGE);
      assert.match(result.reason ?? '', /memory/);
    } finally {
      await small.close();
    }
  });

  test('a call no worker takes within queueTimeoutMs: timeout, without running', async () => {
    const single = new TransformHookRunner({ timeoutMs: 1_500, maxThreads: 1, queueTimeoutMs: 100 });
    try {
      const busy = single.run(hook('busy', 'export const transformInbound = () => new Promise(() => {});'), 'inbound', MESSAGE, CONTEXT);
      const queued = await single.run(hook('queued', 'export const transformInbound = () => null;'), 'inbound', MESSAGE, CONTEXT);
      assert.equal(queued.outcome, 'timeout');
      assert.match(queued.reason ?? '', /no worker took the hook within 100 ms/);
      assert.equal((await busy).outcome, 'timeout');
    } finally {
      await single.close();
    }
  });

  test('after close: failed, never a rejection; onOutcome errors are ignored', async () => {
    const throwing = new TransformHookRunner({ timeoutMs: TIMEOUT_MS, onOutcome: () => { throw new Error('metrics down'); } });
    const ok = await throwing.run(hook('plain', 'export const transformInbound = (m) => m;'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(ok.outcome, 'unchanged');
    await throwing.close();
    await throwing.close();
    const closed = await throwing.run(hook('plain-2', 'export const transformInbound = (m) => m;'), 'inbound', MESSAGE, CONTEXT);
    assert.equal(closed.outcome, 'failed');
    assert.match(closed.reason ?? '', /closed/);
  });
});
