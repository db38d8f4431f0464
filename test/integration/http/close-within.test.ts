/**
 * The bridge's HTTP server closes within its wait even when a request never ends: a client
 * trickling its body, or a handler stuck. Requests that end in time are answered, not cut.
 * Real sockets on loopback.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { closeWithin } from '../../../src/http/close-within.ts';

async function appWithRoutes() {
  const app = Fastify({ return503OnClosing: true });
  let begun!: () => void;
  const slowBegun = new Promise<void>((r) => (begun = r));
  let headersIn!: () => void;
  const headersSeen = new Promise<void>((r) => (headersIn = r));
  // Runs once a request's headers are parsed, before its body is read.
  app.addHook('onRequest', async () => headersIn());
  app.post('/slow', async () => {
    begun();
    await new Promise((r) => setTimeout(r, 300));
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port, slowBegun, headersSeen };
}

test('a client that never finishes its request is cut off after the wait; close does not hang', { timeout: 20_000 }, async () => {
  const { app, port, headersSeen } = await appWithRoutes();
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  // Headers promise 100 bytes; only 5 come.
  socket.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
  const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  let answered = false;
  socket.on('data', () => (answered = true));
  await headersSeen; // the server holds the request, waiting for the rest of its body
  assert.equal(answered, false);
  const startedMs = Date.now();
  const closed = await closeWithin(app, 500);
  const tookMs = Date.now() - startedMs;
  assert.equal(closed.cut, true);
  assert.ok(tookMs >= 450 && tookMs < 5_000, `closed after the wait, not before nor much later: ${tookMs} ms`);
  await socketClosed;
});

test('a request under way when close begins is answered, and nothing is cut', { timeout: 20_000 }, async () => {
  const { app, port, slowBegun } = await appWithRoutes();
  const answer = fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await slowBegun; // the request is in its handler: under way, not yet answered
  const closed = await closeWithin(app, 5_000);
  assert.equal(closed.cut, false);
  const res = await answer;
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
});
