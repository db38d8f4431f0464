/**
 * config/hooks/transform.mjs, the hook config/example.yaml names, run as the bridge runs
 * hooks (worker threads, src/transform/hook-runner.ts): its path resolves from the
 * configuration file's folder, and it does what its comments say.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import type { TransformContext, TransformMessage } from '../../../src/domain/transform/transform-message.ts';
import { TransformHookRunner } from '../../../src/transform/hook-runner.ts';

const EXAMPLE_FILE = 'config/example.yaml';
const modulePath = (parse(readFileSync(EXAMPLE_FILE, 'utf8')) as { routes: Array<{ transform?: { module?: string } }> })
  .routes.map((route) => route.transform?.module).find((path) => path !== undefined);

const text = (value: string): TransformMessage => ({ text: value, attachments: [] });
const context = (direction: 'inbound' | 'outbound'): TransformContext => ({
  direction, route: 'default', botId: 'sales', portalId: 'msk', lineId: 1, conversationId: 'sales:42',
  client: { name: 'Анна', maxUserId: '42', profileUrl: null, language: 'ru' },
  source: { startPayload: null },
});

describe('the example transform hook', () => {
  let runner: TransformHookRunner;
  let hook: string;

  before(() => {
    assert.equal(modulePath, './hooks/transform.mjs', 'config/example.yaml names the example hook');
    hook = resolve(dirname(EXAMPLE_FILE), modulePath);
    runner = new TransformHookRunner({ timeoutMs: 2_000, maxThreads: 1 });
  });
  after(() => runner.close());

  test('inbound: an ordinary message passes unchanged; "test" alone is dropped, with a file it is not', async () => {
    assert.equal((await runner.run(hook, 'inbound', text('Здравствуйте, есть вопрос'), context('inbound'))).outcome, 'unchanged');
    for (const trial of ['test', ' Тест. ', 'TEST']) {
      assert.equal((await runner.run(hook, 'inbound', text(trial), context('inbound'))).outcome, 'dropped', trial);
    }
    const withFile: TransformMessage = { text: 'тест', attachments: [{ type: 'file', name: 'a.pdf', sizeBytes: 10, url: null }] };
    assert.equal((await runner.run(hook, 'inbound', withFile, context('inbound'))).outcome, 'unchanged');
  });

  test('inbound: an order number is put on a line of its own', async () => {
    const result = await runner.run(hook, 'inbound', text('Где мой заказ №123456?'), context('inbound'));
    assert.equal(result.outcome, 'changed', result.reason);
    assert.equal(result.message.text, 'Где мой заказ №123456?\n\n**Заказ № 123456** (маршрут default)');
  });

  test('outbound: a shortcut becomes its answer; other replies (and "constructor") pass unchanged', async () => {
    const result = await runner.run(hook, 'outbound', text(' /Часы '), context('outbound'));
    assert.equal(result.outcome, 'changed', result.reason);
    assert.match(result.message.text, /^Мы работаем с понедельника по пятницу/);
    for (const reply of ['Добрый день!', 'constructor', '/нет-такого']) {
      assert.equal((await runner.run(hook, 'outbound', text(reply), context('outbound'))).outcome, 'unchanged', reply);
    }
  });
});
