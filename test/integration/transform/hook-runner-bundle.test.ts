/**
 * The hook runner from the esbuild bundle, on plain Node (no tsx): the runner,
 * bundled like dist/start.mjs, finds dist/transform-hook-worker.mjs next to it
 * (built by scripts/build.mjs), and a looping hook is still stopped there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { build } from 'esbuild';
import { hookWorkerFile } from '../../../src/transform/hook-runner.ts';

mkdirSync('.data', { recursive: true });
const dist = resolve(mkdtempSync(join('.data', 'dist-')));
after(() => rmSync(dist, { recursive: true, force: true }));

test('the worker file: the built sibling from a bundle, the tsx shim from source', () => {
  assert.equal(hookWorkerFile('file:///srv/bridge/dist/start.mjs'), '/srv/bridge/dist/transform-hook-worker.mjs');
  assert.equal(hookWorkerFile('file:///srv/bridge/src/transform/hook-runner.ts'), '/srv/bridge/src/transform/hook-worker-source.mjs');
});

test('bundled, on plain node: changed, then a looping hook times out, then the pool serves again', async () => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', dist]);
  const hookFile = join(dist, 'hook.mjs');
  writeFileSync(hookFile, `
    export const transformInbound = (m, c) => ({ ...m, text: m.text + ' via ' + c.route });
    export function transformOutbound() { for (;;) {} }`);
  const entry = join(dist, 'probe-entry.ts');
  writeFileSync(entry, `
    import { TransformHookRunner } from ${JSON.stringify(resolve('src/transform/hook-runner.ts'))};
    const ctx = { direction: 'inbound', route: 'sales', botId: 'b', portalId: 'p', lineId: 1, conversationId: 'b:1',
      client: { name: null, maxUserId: null, profileUrl: null, language: null }, source: { startPayload: null } };
    const runner = new TransformHookRunner({ timeoutMs: 300 });
    const outcomes = [];
    for (const [direction, text] of [['inbound', 'hi'], ['outbound', 'loop'], ['inbound', 'again']]) {
      const r = await runner.run(${JSON.stringify(hookFile)}, direction, { text, attachments: [] }, { ...ctx, direction });
      outcomes.push([r.outcome, r.message.text]);
    }
    await runner.close();
    console.log(JSON.stringify(outcomes));`);
  // The same options as scripts/build.mjs, so the probe sits where dist/start.mjs would.
  await build({
    entryPoints: { probe: entry }, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', outdir: dist, outExtension: { '.js': '.mjs' }, logLevel: 'warning',
  });
  // Plain node: no tsx loader, not even through NODE_OPTIONS.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const output = execFileSync(process.execPath, [join(dist, 'probe.mjs')], { encoding: 'utf8', timeout: 20_000, env });
  assert.deepEqual(JSON.parse(output), [['changed', 'hi via sales'], ['timeout', 'loop'], ['changed', 'again via sales']]);
});
