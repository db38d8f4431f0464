/**
 * The address MAX and Bitrix24 know the bridge by, in front of its processes
 * (as a load balancer would be): each request goes to the next live process;
 * a process that refuses the connection is skipped; a request a process took
 * and died with is not sent again (a POST may have been acted on — load
 * balancers do not retry it either): 502. When none answers, 502 — MAX and the
 * portal then behave as they do with a dead bridge.
 */
import http from 'node:http';

export interface FrontProxy {
  url: string;
  setBackends(urls: string[]): void;
  close(): Promise<void>;
}

/**
 * Kept-alive connections to the processes, as load balancers keep them: with a
 * fresh connection per request, a saturated two-core machine left new
 * connections seconds in the accept queue — a delay of this harness, not of
 * the bridge. Idle sockets are dropped after 20 s, well before the bridge's
 * own 72 s, so a socket the bridge closed is never reused.
 */
const agent = new http.Agent({ keepAlive: true, timeout: 20_000, maxSockets: 256 });

function forward(backend: string, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = new URL(req.url ?? '/', backend);
    const out = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host, connection: 'keep-alive' }, timeout: 60_000, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.on('timeout', () => out.destroy(new Error('timeout')));
    out.end(body);
  });
}

export async function startFrontProxy(port = 0): Promise<FrontProxy> {
  let backends: string[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const order = backends.map((_, i) => backends[(next + i) % backends.length] as string);
        next = (next + 1) % Math.max(1, backends.length);
        for (const backend of order) {
          try {
            const answer = await forward(backend, req, body);
            res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
            res.end(answer.body);
            return;
          } catch (err) {
            // Refused: nothing was sent, so the next process. Dropped mid-request: 502.
            if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') break;
          }
        }
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":"no bridge process answered"}');
      })();
    });
  });
  // Longer than any client keeps an idle connection: a socket closed under a reusing client looks like a failed delivery.
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${actual}`,
    setBackends(urls) {
      backends = [...urls];
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
