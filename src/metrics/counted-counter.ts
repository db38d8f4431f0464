/**
 * A Prometheus counter for hot paths. prom-client's label children
 * (`counter.labels(...).inc()`) build a label hash string and validate the
 * labels on every increment; here each series is a plain number in an object
 * made once, so counting is `value += 1` — no lookup, no allocation. The
 * registry reads the numbers when it is scraped (the counter's collect).
 */
import { Counter, type Registry } from 'prom-client';

/** One series of a CountedCounter. */
export class Count {
  value = 0;

  inc(): void {
    this.value += 1;
  }
}

export class CountedCounter {
  private readonly series: Array<{ labels: Record<string, string>; count: Count }> = [];

  constructor(registry: Registry, config: { name: string; help: string; labelNames: string[] }) {
    const series = this.series;
    new Counter({
      ...config, registers: [registry],
      collect() {
        this.reset();
        for (const s of series) this.inc(s.labels, s.count.value);
      },
    });
  }

  /** A new series for these labels, shown from the start at 0; the caller keeps it. */
  count(labels: Record<string, string>): Count {
    const count = new Count();
    this.series.push({ labels, count });
    return count;
  }

  /** One series per key, e.g. per outcome. */
  countsBy<K extends string>(keys: readonly K[], labels: (key: K) => Record<string, string>): Readonly<Record<K, Count>> {
    return Object.fromEntries(keys.map((k) => [k, this.count(labels(k))])) as Record<K, Count>;
  }
}
