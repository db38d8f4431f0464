/**
 * Re-hosting a client's MAX attachments for Bitrix24 (spec: MAX CDN links have
 * no documented lifetime — download at once; Bitrix24 needs a URL it can fetch
 * without auth). Each image, video, audio or file attachment is downloaded now
 * (videos through `GET /videos/{token}`), stored, and handed to the line as
 * `{url, name}` with a signed, expiring URL served by the bridge. A file over
 * the size cap is named in the text instead; a download that fails is retried
 * by the job.
 */
import { BridgeError } from '../domain/errors.ts';
import type { MaxClient } from '../max/client.ts';
import type { MediaRepo } from '../store/repos/media-repo.ts';
import type { MediaSigner } from './signed-url.ts';

type Json = Record<string, unknown>;

export interface RehostDeps {
  media: MediaRepo;
  signer: MediaSigner;
  max: MaxClient;
  publicUrl: string;
  maxBytes: number;
  ttlMs: number;
  fetchFn?: typeof fetch;
}

export interface Rehosted {
  files: Array<{ url: string; name: string }>;
  /** Attachments that could not be carried (too large), for the text. */
  skipped: string[];
}

const DEFAULT_NAMES: Record<string, string> = { image: 'image.jpg', video: 'video.mp4', audio: 'audio.mp3', file: 'file' };
export const REHOSTED_TYPES = new Set(['image', 'video', 'audio', 'file']);

async function sourceUrl(deps: RehostDeps, a: Json): Promise<string | null> {
  const payload = (a.payload ?? {}) as Json;
  if (a.type === 'video' && typeof payload.token === 'string') {
    const details = await deps.max.getVideo(payload.token) as unknown as { urls?: Record<string, string | null> | null };
    const urls = details.urls ?? {};
    return urls.mp4_1080 ?? urls.mp4_720 ?? urls.mp4_480 ?? urls.mp4_360 ?? urls.mp4_240 ?? urls.mp4_144 ?? (typeof payload.url === 'string' ? payload.url : null);
  }
  return typeof payload.url === 'string' ? payload.url : null;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'image/heic': 'heic', 'image/bmp': 'bmp',
  'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm', 'audio/mpeg': 'mp3', 'audio/ogg': 'ogg', 'audio/mp4': 'm4a', 'audio/wav': 'wav',
};

/** MAX names documents (filename); images, video and audio get a name from their type. */
function nameOf(a: Json, index: number, mime: string): string {
  const ext = EXTENSIONS[mime.split(';')[0]?.trim() ?? ''];
  const fallback = DEFAULT_NAMES[String(a.type)] ?? 'file';
  const given = typeof a.filename === 'string' && a.filename ? a.filename : ext ? fallback.replace(/\.[^.]*$|$/, `.${ext}`) : fallback;
  return index === 0 ? given : given.replace(/(\.[^.]*)?$/, (ext) => `-${index + 1}${ext}`);
}

export async function rehostAttachments(deps: RehostDeps, conversationId: string, message: Json): Promise<Rehosted> {
  const attachments = (((message.body ?? {}) as Json).attachments ?? []) as Json[];
  const out: Rehosted = { files: [], skipped: [] };
  for (const [i, a] of attachments.filter((x) => REHOSTED_TYPES.has(String(x.type))).entries()) {
    let name = nameOf(a, i, '');
    const url = await sourceUrl(deps, a);
    if (!url) continue;
    let res: Response;
    try {
      res = await (deps.fetchFn ?? fetch)(url, { signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new BridgeError('BRG_ERR_MEDIA_DOWNLOAD', `could not download ${String(a.type)} "${name}" from MAX: ${(err as Error).message}`, { retryable: true });
    }
    if (!res.ok) throw new BridgeError('BRG_ERR_MEDIA_DOWNLOAD', `MAX answered ${res.status} for ${String(a.type)} "${name}"`, { retryable: true });
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > deps.maxBytes) {
      await res.body?.cancel();
      out.skipped.push(name);
      continue;
    }
    const data = new Uint8Array(await res.arrayBuffer());
    if (data.byteLength > deps.maxBytes) {
      out.skipped.push(name);
      continue;
    }
    const mime = res.headers.get('content-type') ?? 'application/octet-stream';
    name = nameOf(a, i, mime);
    const stored = await deps.media.put({ conversationId, name, mime, data, ttlMs: deps.ttlMs });
    out.files.push({ url: deps.signer.url(deps.publicUrl, stored.id, name, stored.expiresAtMs), name });
  }
  return out;
}
