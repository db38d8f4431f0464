/**
 * The durations of one group of a report (response times of one bot, one day…), and their
 * median and 90th percentile. Pure.
 *
 * Quantiles are exact while the group holds at most `capacity` durations (default 100,000 —
 * 800 KB): a month of a busy line. Past that the group keeps a uniform random sample of
 * `capacity` of them (reservoir sampling, Vitter's algorithm R, with a fixed-seed generator
 * so the same data gives the same report): memory stays bounded and a quantile's rank is off
 * by well under 1 %. `count` is always exact.
 *
 * A quantile is interpolated between the two nearest values (the "R-7" rule of spreadsheets'
 * PERCENTILE.INC and numpy's default): with n sorted values x₀…xₙ₋₁, q(p) is read at
 * position h = (n − 1)·p, so the median of 4 values is the mean of the middle two and the p90
 * of 1…10 is 9.1.
 */

export const DEFAULT_SAMPLE_CAPACITY = 100_000;

export interface DurationSummary {
  count: number;
  /** Seconds; null when the group has no durations. */
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** The p-quantile (0…1) of ascending `sorted`, by linear interpolation; null when empty. */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const low = Math.floor(h);
  const high = Math.min(n - 1, low + 1);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (h - low) * (b - a);
}

export class DurationSample {
  private values: number[] = [];
  private total = 0;
  /** xorshift32 state: a fixed seed, so a report is the same every time it is made. */
  private seed = 0x9e3779b9;
  private sorted: Float64Array | null = null;

  constructor(private readonly capacity = DEFAULT_SAMPLE_CAPACITY) {}

  get count(): number {
    return this.total;
  }

  add(ms: number): void {
    this.total += 1;
    this.sorted = null;
    if (this.values.length < this.capacity) {
      this.values.push(ms);
      return;
    }
    const slot = this.random() % this.total;
    if (slot < this.capacity) this.values[slot] = ms;
  }

  /** The p-quantile in milliseconds; null when empty. */
  quantileMs(p: number): number | null {
    this.sorted ??= Float64Array.from(this.values).sort();
    return quantileOfSorted(this.sorted, p);
  }

  summary(): DurationSummary {
    const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms) / 1_000);
    return { count: this.total, medianSeconds: seconds(this.quantileMs(0.5)), p90Seconds: seconds(this.quantileMs(0.9)) };
  }

  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
