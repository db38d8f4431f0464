/** Where a webhook sends, for people (admin API, CLI): scheme, host and path; a query's values redacted (one may carry a token). */
import { safeUrl } from '../log/safe-url.ts';

export function webhookAddress(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${safeUrl(u.pathname + u.search)}`;
}
