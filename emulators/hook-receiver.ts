/**
 * A hook receiver (a company's ERP, DWH gateway) for the tests, the chaos run and a look by
 * hand: a webhook receiver as a company would write one (docs/hooks.md, "Verifying a request"), on
 * 127.0.0.1: it reads the raw body, verifies `X-Bridge-Signature` against its secret, refuses a
 * bad or missing signature with 401, and keeps every event it accepted — each event id once
 * (`events`, in the order first received) and every receipt (`receipts`, duplicates included).
 * `mode` makes it fail on purpose: `down` (the port refuses connections), `error` (503),
 * `refuse` (400); `delayMs` holds each answer; `errorRate` answers that share of requests 503 at
 * random (a flaky receiver: `random` seeds it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifySignature } from '../src/hooks/signature.ts';

export interface ReceivedEvent {
  id: string;
  type: string;
  at: string;
  conversation_id: string | null;
  data: Record<string, unknown>;
}

export interface HookReceiver {
  url: string;
  /** Each event id once, in the order first received. */
  events: ReceivedEvent[];
  /** Every accepted request's event id, retries included. */
  receipts: string[];
  /** Requests refused for their signature (should stay 0). */
  badSignatures: number;
  /** Requests whose X-Bridge-Event-Id differed from the body's id (should stay 0). */
  idMismatches: number;
  mode: 'up' | 'error' | 'refuse';
  delayMs: number;
  /** Share of requests answered 503 at random while `up`. */
  errorRate: number;
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startHookReceiver(secret: string, options: { random?: () => number; nowMs?: () => number } = {}): Promise<HookReceiver> {
  const random = options.random ?? Math.random;
  // The receiver's clock (a test's bridge may run hours ahead on a ManualClock).
  const nowMs = options.nowMs ?? Date.now;
  let server: Server | null = null;
  let port = 0;
  const receiver: HookReceiver = {
    url: '', events: [], receipts: [], badSignatures: 0, idMismatches: 0, mode: 'up', delayMs: 0, errorRate: 0,
    async down() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
    },
    async up() {
      if (server) return;
      server = make();
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
      port = (server.address() as AddressInfo).port;
    },
    async close() {
      await receiver.down();
    },
  };
  const seen = new Set<string>();
  const make = () => createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const answer = (status: number, text = '') => setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(text), receiver.delayMs);
      if (receiver.mode === 'error' || (receiver.errorRate > 0 && random() < receiver.errorRate)) return answer(503, 'down for maintenance');
      const check = verifySignature(req.headers[SIGNATURE_HEADER] as string | undefined, raw, secret, Math.floor(nowMs() / 1000));
      if (!check.ok) {
        receiver.badSignatures++;
        return answer(401, check.reason);
      }
      if (receiver.mode === 'refuse') return answer(400, 'unknown event shape');
      const event = JSON.parse(raw.toString('utf8')) as ReceivedEvent;
      if (req.headers[EVENT_ID_HEADER] !== event.id) receiver.idMismatches++;
      receiver.receipts.push(event.id);
      if (!seen.has(event.id)) {
        seen.add(event.id);
        receiver.events.push(event);
      }
      answer(200, 'ok');
    });
  });
  await receiver.up();
  receiver.url = `http://127.0.0.1:${port}/max-events`;
  return receiver;
}
