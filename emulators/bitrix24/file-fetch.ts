/**
 * How the portal takes a client's files (imconnector.send.messages,
 * `message.files: [{url, name}]`, spec §9): it downloads each url itself,
 * without auth, onto its Disk; the chat then shows the portal's copy under the
 * given name. The download happens while the call is handled, and an item
 * whose file cannot be fetched comes back `SUCCESS:false` with `ERRORS` while
 * the call is still HTTP 200 (per-item failure, spec §4) — what integrators
 * report when the link is unreachable or expired. The exact error code is not
 * documented [?]: the emulator answers `ERROR_FILE_DOWNLOAD`.
 *
 * Downloads are made before the (synchronous) method runs and kept with the
 * call's own file descriptors (nothing outlives the request). A send.messages inside a `batch` is not
 * prefetched: its files are fetched after the call, never failing the item.
 */
import { randomBytes } from 'node:crypto';
import { param } from './context.ts';
import type { OlMessage } from './model.ts';
import type { PortalState } from './portal.ts';

/** The portal gives up a download after this long. */
const FETCH_TIMEOUT_MS = 30_000;

export interface FetchedFile {
  /** HTTP status of the download; 0 when nothing answered. */
  status: number;
  data?: Buffer;
  type?: string;
}

/** Each `{url, name}` descriptor of a call → its download. */
const fetched = new WeakMap<object, FetchedFile>();

async function download(url: string): Promise<FetchedFile> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) {
      await res.body?.cancel();
      return { status: res.status };
    }
    return { status: res.status, data: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') ?? 'application/octet-stream' };
  } catch {
    return { status: 0 };
  }
}

function descriptorsOf(message: unknown): Array<Record<string, unknown>> {
  const files = (message as { files?: unknown } | null | undefined)?.files;
  const list = Array.isArray(files) ? files : files && typeof files === 'object' ? Object.values(files) : [];
  return list.filter((f): f is Record<string, unknown> => !!f && typeof f === 'object');
}

/** Downloads every file of a send.messages call's items (before the method runs). */
export async function prefetchClientFiles(params: Record<string, unknown>): Promise<void> {
  const raw = param(params, 'MESSAGES');
  const items = (Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.values(raw) : []) as Array<{ message?: unknown } | null>;
  const descriptors = items.flatMap((i) => descriptorsOf(i?.message)).filter((f) => typeof f.url === 'string' && f.url !== '');
  await Promise.all(descriptors.map(async (f) => fetched.set(f, await download(String(f.url)))));
}

/** The file descriptors of an item the portal tried to download and could not. */
export function unfetchedFiles(message: unknown): Array<Record<string, unknown>> {
  return descriptorsOf(message).filter((f) => {
    const got = fetched.get(f);
    return got !== undefined && !got.data;
  });
}

/** Puts a downloaded file on the portal's "Disk": the chat shows this copy. */
function keep(portal: PortalState, file: OlMessage['files'][number], got: FetchedFile): void {
  file.fetchStatus = got.status;
  if (!got.data) return;
  const id = randomBytes(6).toString('hex');
  const type = got.type ?? 'application/octet-stream';
  portal.files.set(id, { name: file.name, data: got.data, type });
  file.size = got.data.length;
  file.type = type.startsWith('image/') ? 'image' : 'file';
  file.url = `${portal.baseUrl}/upload/${id}/${encodeURIComponent(file.name)}`;
}

/** Stores a client file: from its download during the call, or (inside a batch) fetched now, after the call. */
export function takeClientFile(portal: PortalState, file: OlMessage['files'][number], descriptor: object): void {
  const got = fetched.get(descriptor);
  if (got) {
    keep(portal, file, got);
    return;
  }
  void download(file.url).then((late) => keep(portal, file, late));
}
