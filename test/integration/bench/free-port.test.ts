/**
 * freePort (bench/child-process.ts) gives a port below the system's ephemeral range, which
 * outgoing connections never take, and one that can be listened on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../../bench/child-process.ts';

test('a free port comes from below the ephemeral range, and can be listened on', async () => {
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let i = 0; i < 5; i++) {
    const port = await freePort();
    assert.ok(port >= 1024 && port < ephemeralStart, `port ${port} below ${ephemeralStart}`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => server.close(r));
  }
});
