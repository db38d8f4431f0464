/**
 * The /metrics text: this bridge's registry, then the process's (no name is in
 * both), in the Prometheus text format 0.0.4.
 */
import type { Registry } from 'prom-client';
import { processMetrics } from './process-metrics.ts';

export interface Exposition {
  contentType: string;
  render(): Promise<string>;
}

export function exposition(bridge: Registry): Exposition {
  const process = processMetrics();
  return {
    contentType: bridge.contentType,
    render: async () => `${await bridge.metrics()}\n${await process.metrics()}`,
  };
}
