import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyPluginAsync } from 'fastify';
import { buildApp } from '../../../src/http/app.ts';
import { HttpError } from '../../../src/http/http-errors.ts';
import { healthPlugin } from '../../../src/http/plugins/health.ts';
import { readyPlugin } from '../../../src/http/plugins/ready.ts';

const echo: FastifyPluginAsync = async (app) => {
  app.post('/echo', async (request) => ({ raw: request.body }));
  app.post('/refuse', async () => {
    throw new HttpError('unauthorized');
  });
};

test('unknown route answers 404 with a stable code', async () => {
  const app = buildApp({ plugins: [echo] });
  const res = await app.inject({ method: 'GET', url: '/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error, 'BRG_ERR_NOT_FOUND');
  await app.close();
});

test('JSON bodies reach routes as raw text, so big integers survive', async () => {
  const app = buildApp({ plugins: [echo] });
  const payload = '{"seq":116688673966208835}';
  const res = await app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().raw, payload);
  await app.close();
});

test('body over the limit answers 413 BRG_ERR_BODY_TOO_LARGE', async () => {
  const app = buildApp({ plugins: [echo], bodyLimitBytes: 100 });
  const res = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: JSON.stringify({ text: 'x'.repeat(200) }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().error, 'BRG_ERR_BODY_TOO_LARGE');
  await app.close();
});

test('unsupported content type answers 415 with a message naming the fix', async () => {
  const app = buildApp({ plugins: [echo] });
  const res = await app.inject({ method: 'POST', url: '/echo', payload: 'x', headers: { 'content-type': 'text/plain' } });
  assert.equal(res.statusCode, 415);
  const body = res.json();
  assert.equal(body.error, 'BRG_ERR_UNSUPPORTED_MEDIA_TYPE');
  assert.match(body.message_en, /application\/json/);
  await app.close();
});

test('HttpError thrown in a route becomes its catalogued status and code', async () => {
  const app = buildApp({ plugins: [echo] });
  const res = await app.inject({ method: 'POST', url: '/refuse', payload: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error, 'BRG_ERR_UNAUTHORIZED');
  await app.close();
});

test('/health stays 200 {status: ok} while /ready reports the bridge not ready with its problems', async () => {
  let problems: string[] = [];
  const report = async () => ({ ready: problems.length === 0, problems, database: { engine: 'sqlite', reachable: true, migration: 6 }, bots: [], lines: [] });
  const app = buildApp({ plugins: [healthPlugin(), readyPlugin({ report })] });
  assert.equal((await app.inject({ method: 'GET', url: '/ready' })).json().status, 'ready');
  problems = ['line 1 paused'];
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.json().status, 'not_ready');
  assert.deepEqual(ready.json().problems, ['line 1 paused']);
  await app.close();
});
