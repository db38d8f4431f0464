/**
 * A bridge process for the benchmarks: the configuration comes as JSON in
 * BENCH_BRIDGE_CONFIG ({config, noRunner}); prints `READY <url>` once listening.
 * With noRunner the job runner is stopped at once, so only intake (secret
 * checked, stored, answered) is measured.
 */
import { startBridge } from '../../src/runtime/start-bridge.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';

const input = JSON.parse(process.env.BENCH_BRIDGE_CONFIG ?? '{}') as { config: unknown; noRunner?: boolean };
const bridge = await startBridge(configSchema.parse(input.config), { clock: systemClock });
if (input.noRunner) await bridge.runner.stop(1_000);
process.stdout.write(`READY ${bridge.url}\n`);
process.on('SIGTERM', () => void bridge.close().then(() => process.exit(0), () => process.exit(1)));
if (process.env.CHAOS_DEBUG) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  setInterval(() => {
    process.stderr.write(`bridge ${process.pid} loop p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms max ${(h.max / 1e6).toFixed(0)} ms\n`);
    h.reset();
  }, 3_000).unref();
}
