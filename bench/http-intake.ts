/**
 * Intake over HTTP: MAX webhook requests per second through the bridge (secret
 * checked in constant time, raw update + job stored in one transaction, 200)
 * against a bare Fastify server answering 200 on the same path, with the same
 * load tool (autocannon) and settings, one after the other in the same run →
 * intake_ratio. Then the bridge's answer time at a fixed 1,000 req/s → p99.
 * The bridge's job runner is stopped here: this measures intake alone.
 */
import autocannon from 'autocannon';
import type { Sandbox } from '../src/cli/sandbox.ts';
import { BENCH_WEBHOOK_SECRET, messageUpdate, startBridgeChild } from './bench-world.ts';
import { startChild } from './child-process.ts';

export interface IntakeFigures {
  bareRps: number;
  bridgeRps: number;
  ratio: number;
  p99AckMs: number;
  p50AckMs: number;
  rateAchieved: number;
  errors: number;
}

function webhookRequests(prefix: string) {
  let n = 0;
  return [{
    method: 'POST', path: '/max/webhook/bench',
    headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET },
    setupRequest: (req: { body?: string }) => {
      const i = n++;
      return { ...req, body: messageUpdate({ userId: 100_000 + (i % 500), chatId: 200_000 + (i % 500) }, `mid.${prefix}.${i}`, i, `intake ${i}`) };
    },
  }];
}

export async function measureIntake(sandbox: Sandbox, databaseUrl: string, durationS: number): Promise<IntakeFigures> {
  const settings = { connections: 16, duration: durationS };
  const bare = await startChild('bench/processes/bare-server.ts');
  let bareResult;
  try {
    await autocannon({ url: bare.url, ...settings, duration: 1, requests: webhookRequests('warm') });
    bareResult = await autocannon({ url: bare.url, ...settings, requests: webhookRequests('bare') });
  } finally {
    await bare.stop();
  }
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 2, burst: 50, noRunner: true });
  try {
    await autocannon({ url: bridge.url, ...settings, duration: 1, requests: webhookRequests('warm') });
    const bridgeResult = await autocannon({ url: bridge.url, ...settings, requests: webhookRequests('full') });
    const fixed = await autocannon({ url: bridge.url, connections: 16, duration: durationS, overallRate: 1_000, requests: webhookRequests('rate') });
    return {
      bareRps: bareResult.requests.average,
      bridgeRps: bridgeResult.requests.average,
      ratio: bridgeResult.requests.average / bareResult.requests.average,
      p99AckMs: fixed.latency.p99,
      p50AckMs: fixed.latency.p50,
      rateAchieved: fixed.requests.average,
      errors: bareResult.errors + bareResult.non2xx + bridgeResult.errors + bridgeResult.non2xx + fixed.errors + fixed.non2xx,
    };
  } finally {
    await bridge.stop();
  }
}
