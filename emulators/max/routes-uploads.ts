/**
 * Bot API: POST /uploads?type=… and the upload URL it returns (spec §4.3).
 * Step 1 returns `{url}` (image, file) or `{url, token}` (video, audio).
 * Step 2, the upload URL (no bot auth, like the real upload hosts), takes a
 * multipart body with field `data`, or raw chunks with Content-Range. Answers:
 * image → {photos:{key:{token}}}; file → {token}; video/audio → <retval>1</retval>.
 * A fresh upload answers `attachment.not.ready` on send for a while.
 * A file name over `fileNameMaxLength` characters (200) is refused with 400
 * `proto.payload`, at the upload URL or, with `fileNameRefusedAt: 'send'`, when a
 * message carries the file (MAX documents neither the limit's place nor its shape).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestBot, sendMax, sendMaxError, type MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import { makeToken } from './ids.ts';
import type { UploadState } from './model.ts';

const UPLOAD_TYPES = new Set(['image', 'video', 'audio', 'file']);
/** Sizes from spec §4.3 (image 50 MB, video 250 MB, audio 256 MB, file 4 GB); kept lower here: 64 MB. */
export const EMULATOR_UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024;

let nextPhotoId = 5_000_000_001;

/** Refuses a file name longer than MAX takes (counted in code points, like text). */
export function checkFileName(ctx: MaxContext, filename: string): void {
  const length = [...filename].length;
  if (length > ctx.settings.fileNameMaxLength) throw maxErrors.fileNameTooLong(length, ctx.settings.fileNameMaxLength);
}

export function registerUploadRoutes(app: FastifyInstance, ctx: MaxContext): void {
  app.post('/uploads', async (request, reply) => {
    const bot = requestBot(request);
    const type = (request.query as Record<string, string | undefined>).type;
    if (!type) throw maxErrors.payload('Missing required parameter: type');
    if (!UPLOAD_TYPES.has(type)) throw maxErrors.payload(`Invalid upload type: ${type}`);
    const token = makeToken(type === 'image' ? 'img_' : type === 'file' ? 'file_' : 'media_');
    const upload: UploadState = {
      token,
      type: type as UploadState['type'],
      botId: bot.userId,
      uploadedAtMs: null,
      filename: 'file',
      contentType: 'application/octet-stream',
      data: Buffer.alloc(0),
      photoId: nextPhotoId++,
    };
    ctx.world.uploads.set(token, upload);
    const url = `${ctx.baseUrl()}/_upload/${token}`;
    const withToken = type === 'video' || type === 'audio';
    return sendMax(reply, 200, withToken ? { url, token } : { url });
  });

  app.post('/_upload/:token', async (request, reply) => receiveUpload(ctx, request, reply));

  app.get('/_files/:token', async (request, reply) => {
    const token = (request.params as { token: string }).token;
    const upload = ctx.world.uploads.get(token);
    if (!upload || upload.uploadedAtMs === null) return sendMaxError(reply, maxErrors.notFound('File not found'));
    return reply.header('content-type', upload.contentType).send(upload.data);
  });
}

async function receiveUpload(ctx: MaxContext, request: FastifyRequest, reply: FastifyReply) {
  const token = (request.params as { token: string }).token;
  const upload = ctx.world.uploads.get(token);
  if (!upload) return sendMaxError(reply, maxErrors.notFound('Upload URL not found'));
  if (request.isMultipart()) {
    const part = await request.file({ limits: { fileSize: EMULATOR_UPLOAD_LIMIT_BYTES } });
    if (!part || part.fieldname !== 'data') return sendMaxError(reply, maxErrors.payload("Multipart field 'data' required"));
    const data = await part.toBuffer();
    if (ctx.settings.fileNameRefusedAt === 'upload') checkFileName(ctx, part.filename || 'file');
    upload.data = data;
    upload.filename = part.filename || 'file';
    upload.contentType = part.mimetype || 'application/octet-stream';
  } else {
    // Resumable mode: raw chunks with Content-Range: bytes a-b/total.
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(request.headers['content-range'] ?? ''));
    if (!range) return sendMaxError(reply, maxErrors.payload('Content-Range required for non-multipart upload'));
    const chunk = request.body as Buffer;
    const filename = String(request.headers['x-file-name'] ?? upload.filename);
    if (ctx.settings.fileNameRefusedAt === 'upload') checkFileName(ctx, filename);
    upload.data = Buffer.concat([upload.data, chunk]);
    upload.filename = filename;
    if (Number(range[2]) + 1 < Number(range[3])) {
      return reply.header('content-type', 'text/plain').send(`0-${range[2]}/${range[3]}`);
    }
  }
  upload.uploadedAtMs = Date.now();
  if (upload.type === 'image') return sendMax(reply, 200, { photos: { [`p${upload.photoId}`]: { token } } });
  if (upload.type === 'file') return sendMax(reply, 200, { token });
  return reply.header('content-type', 'text/xml').send('<retval>1</retval>');
}
