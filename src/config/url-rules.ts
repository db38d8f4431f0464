/** `http://` only for loopback hosts (tests, sandbox); everything else must be `https://`. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|\[::1\]|::1|localhost)$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

/** Returns a problem description, or null when the URL is acceptable. */
export function checkServiceUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (expected https://host[:port][/path])';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  if (url.protocol === 'http:') return 'must be https:// (plain http:// is accepted only for 127.0.0.1, ::1 and localhost)';
  return `has an unsupported scheme ${url.protocol} (use https://)`;
}

/** The public address with a query or fragment cannot have paths appended to it. */
export function checkPublicUrl(value: string): string | null {
  const problem = checkServiceUrl(value);
  if (problem) return problem;
  const url = new URL(value);
  if (url.search !== '' || url.hash !== '') return 'must not have a ?query or #fragment (the bridge appends paths such as /max/webhook/<bot> to it)';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return null;
}

