/** Reading a running bridge's /metrics in tests: the Prometheus text, and one sample's value. */
import { SANDBOX_METRICS_TOKEN } from '../../src/cli/sandbox.ts';

export async function scrape(bridgeUrl: string, token = SANDBOX_METRICS_TOKEN): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(`${bridgeUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Parses `name{a="x",b="y"} 12` lines; label values here never hold quotes or commas. */
function samplesOf(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries((match[2] ?? '').split(',').filter(Boolean).map((pair) => {
      const [key, quoted] = pair.split('=') as [string, string];
      return [key, quoted.slice(1, -1)];
    }));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with this name and (at least) these labels; undefined when there is none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samplesOf(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
