/** Small HTTP helpers for the MAX emulator tests (real fetch over loopback). */
export interface JsonResponse {
  status: number;
  text: string;
  body: unknown;
}

/** Reads a response as JSON when it is JSON (uploads answer <retval>1</retval> for video/audio). */
async function toJsonResponse(res: Response): Promise<JsonResponse> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, text, body };
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = options.token;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  return toJsonResponse(await fetch(baseUrl + path, { method, headers, body: payload }));
}

export function control(controlUrl: string, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  return call(controlUrl, method, path, { body });
}

/** Multipart upload with field `data`, as the real upload hosts take it. */
export async function uploadFile(url: string, bytes: Buffer, filename: string, type: string): Promise<JsonResponse> {
  const form = new FormData();
  form.append('data', new Blob([bytes], { type }), filename);
  return toJsonResponse(await fetch(url, { method: 'POST', body: form }));
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
