/**
 * Operator files → MAX. Each file the operator attached (the event's
 * `files[j]{name, type, link, size}`, spec §9) is downloaded from the portal —
 * the link works without auth; we send `User-Agent`, `Accept: *\/*` and the
 * portal as `Referer`, and never touch a signed URL — then uploaded through
 * MAX's upload flow with the right type (image, video, audio, file) and
 * becomes one attachment. MAX's size limits per type (spec §4.3) are checked
 * before uploading: a file over them is not retried — the operator is told.
 * A name longer than MAX takes (200 characters) is shortened before the upload,
 * keeping its extension; MAX refuses a longer one (the whole file, not just its
 * name). Whatever still fails for good is reported per file by the caller, and
 * the reply's text and other files go without it (outbound.ts).
 * `attachment.not.ready` on the send is retried by the MAX client and then by
 * the job's own back-off; the job holds its conversation's queue meanwhile, so
 * later replies never overtake the file.
 */
import { BridgeError } from '../domain/errors.ts';
import { shortenFileName } from '../domain/file-name.ts';
import type { MaxClient, MaxUploadType } from '../max/client.ts';

type Json = Record<string, unknown>;

export const FILE_TOO_LARGE = 'BRG_ERR_FILE_TOO_LARGE';
export const FILE_DOWNLOAD = 'BRG_ERR_FILE_DOWNLOAD';

/**
 * Longest file name MAX takes, characters. Not in the published spec (§4.3 gives sizes only);
 * reported from production: a longer name is refused at upload. Names are cut to this many UTF-16 units (never more code
 * points), the extension kept.
 */
export const MAX_FILE_NAME_CHARS = 200;

/** MAX's limits per upload type, bytes (spec §4.3). */
export const MAX_UPLOAD_LIMIT_BYTES: Record<MaxUploadType, number> = {
  image: 50 * 1024 * 1024,
  video: 250 * 1024 * 1024,
  audio: 256 * 1024 * 1024,
  file: 4 * 1024 * 1024 * 1024,
};

const IMAGE = /\.(jpe?g|png|gif|tiff?|bmp|heic|webp)$/i;
const VIDEO = /\.(mp4|mov|mkv|webm)$/i;
const AUDIO = /\.(mp3|wav|m4a|ogg|oga|aac|flac)$/i;

export function uploadTypeOf(file: { name?: string; type?: string; mime?: string }): MaxUploadType {
  const type = (file.type ?? '').toLowerCase();
  const mime = (file.mime ?? '').toLowerCase();
  const name = file.name ?? '';
  // Images MAX takes as images; other image formats (svg…) go as files.
  if (type === 'image' || mime.startsWith('image/') || IMAGE.test(name)) {
    return IMAGE.test(name) || /^image\/(jpe?g|png|gif|tiff|bmp|heic|webp)$/.test(mime) ? 'image' : 'file';
  }
  if (type === 'video' || mime.startsWith('video/') || VIDEO.test(name)) return 'video';
  if (type === 'audio' || mime.startsWith('audio/') || AUDIO.test(name)) return 'audio';
  return 'file';
}

export interface OperatorFilesDeps {
  fetchFn?: typeof fetch;
  /** Download timeout per file. Default 120 s. */
  timeoutMs?: number;
}

async function download(deps: OperatorFilesDeps, link: string, limitBytes: number, name: string): Promise<{ data: Uint8Array; contentType: string }> {
  let res: Response;
  try {
    const origin = new URL(link).origin;
    res = await (deps.fetchFn ?? fetch)(link, {
      headers: { 'user-agent': 'max-bitrix24-bridge', accept: '*/*', referer: `${origin}/` },
      signal: AbortSignal.timeout(deps.timeoutMs ?? 120_000),
    });
  } catch (err) {
    throw new BridgeError(FILE_DOWNLOAD, `could not download "${name}" from the portal: ${(err as Error).message}`, { retryable: true });
  }
  if (!res.ok) {
    throw new BridgeError(FILE_DOWNLOAD, `the portal answered ${res.status} for "${name}"`, { retryable: res.status >= 500 || res.status === 429 });
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > limitBytes) throw new BridgeError(FILE_TOO_LARGE, `"${name}" is ${declared} bytes, MAX takes at most ${limitBytes}`, { retryable: false });
  const data = new Uint8Array(await res.arrayBuffer());
  if (data.byteLength > limitBytes) throw new BridgeError(FILE_TOO_LARGE, `"${name}" is ${data.byteLength} bytes, MAX takes at most ${limitBytes}`, { retryable: false });
  return { data, contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
}

/** One MAX attachment for one operator file (null: no usable link). */
export async function operatorFileAttachment(deps: OperatorFilesDeps, max: MaxClient, f: Json): Promise<Json | null> {
  {
    const name = String(f.name ?? 'file');
    const link = String(f.link ?? f.url ?? '');
    if (!/^https?:\/\//.test(link)) return null;
    const type = uploadTypeOf({ name, type: String(f.type ?? ''), mime: String(f.mime ?? '') });
    const limit = MAX_UPLOAD_LIMIT_BYTES[type];
    const declared = Number(f.size ?? 0);
    if (declared > limit) throw new BridgeError(FILE_TOO_LARGE, `"${name}" is ${declared} bytes, MAX takes at most ${limit}`, { retryable: false });
    const { data, contentType } = await download(deps, link, limit, name);
    return { type, payload: await max.upload(type, data, shortenFileName(name, MAX_FILE_NAME_CHARS), contentType) };
  }
}
