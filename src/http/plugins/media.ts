/**
 * `GET /media/:id/<name>?exp=…&sig=…`: re-hosted client files for Bitrix24
 * (src/media/). A missing or wrong signature → 403 BRG_ERR_MEDIA_SIGNATURE, a
 * valid one past its time → 410 BRG_ERR_MEDIA_EXPIRED, an unknown id → 404.
 *
 * The name part is a wildcard, not a `:name` parameter: Fastify refuses a
 * parameter over 100 characters (maxParamLength) before any handler runs, which
 * made a file with a long name unfetchable for Bitrix24. The signature covers
 * only id and expiry, so any name part is accepted — links handed out with the
 * full name in them still work; new links carry a short one (signed-url.ts).
 * The client's full name goes in Content-Disposition.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MediaSigner } from '../../media/signed-url.ts';
import type { MediaRepo } from '../../store/repos/media-repo.ts';
import { HttpError } from '../http-errors.ts';

export interface MediaPluginOptions {
  media: MediaRepo;
  signer: MediaSigner;
  nowMs: () => number;
}

export function mediaPlugin(options: MediaPluginOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/media/:id/*', async (request, reply) => {
      const { id } = request.params as { id: string };
      const query = request.query as { exp?: string; sig?: string };
      const verdict = options.signer.check(id, query.exp, query.sig, options.nowMs());
      if (verdict === 'bad') throw new HttpError('mediaSignature', 'the link is not valid');
      if (verdict === 'expired') throw new HttpError('mediaExpired', 'the link has expired');
      const stored = await options.media.get(id);
      if (!stored || stored.expiresAtMs < options.nowMs()) throw new HttpError('notFound', 'no such file');
      const ascii = stored.name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '');
      return reply.header('content-type', stored.mime).header('content-length', String(stored.data.byteLength))
        .header('content-disposition', `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(stored.name)}`)
        .header('cache-control', 'private, max-age=3600').send(Buffer.from(stored.data));
    });
  };
}
