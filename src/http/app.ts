/**
 * buildApp: the bridge's HTTP server, assembled from one plugin per surface
 * (MAX webhooks, Bitrix24 events, install, admin, health). No side effects:
 * nothing listens until server.ts calls listen, so tests use `inject`.
 *
 * Bodies are kept as raw text: MAX sends integers above 2^53 (`seq`) that
 * JSON.parse would silently round, and events are stored raw before anything
 * else. Each plugin parses what it accepts (src/http/parse-body.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from '../log/logger.ts';
import { HttpError, HTTP_ERRORS, httpErrorBody } from './http-errors.ts';
import { BridgeRequestLog } from './request-log.ts';

/** 1 MiB: a MAX update or a Bitrix24 event is a few KiB; larger is abuse. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;

export interface AppOptions {
  plugins: FastifyPluginAsync[];
  bodyLimitBytes?: number;
  /** The process logger's child for HTTP (src/log/logger.ts redacts secrets); none: Fastify logs nothing. */
  logger?: Logger;
  /**
   * Built-in HTTPS (server.tls, docs/tls.md): the server is a node:https one serving this pair;
   * `app.server.setSecureContext()` swaps it for new connections (certificate-reload.ts).
   */
  https?: { cert: string; key: string };
}

/** Bodies announced above the limit are still read (and dropped) up to this size, then the 413 goes out. */
const DRAIN_MAX_BYTES = 32 * 1024 * 1024;

export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // A pino Logger is a FastifyBaseLogger; typed as the base so the instance keeps Fastify's default type.
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger, logController: new BridgeRequestLog() } : { logger: false }),
    return503OnClosing: true,
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
    // With `https` the instance's server is an https.Server; its type parameters stay the HTTP ones (the routes do not differ).
  }) as unknown as FastifyInstance;
  // An announced body over the limit: read it to the end (up to a hard cap) before answering
  // 413, so the sender gets the answer instead of a connection reset mid-upload.
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  app.addHook('onRequest', async (request) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > bodyLimit)) return;
    if (declared <= DRAIN_MAX_BYTES) {
      await new Promise<void>((resolve) => {
        request.raw.on('data', () => undefined);
        request.raw.once('end', resolve);
        request.raw.once('error', () => resolve());
        request.raw.once('close', resolve);
      });
    }
    throw new HttpError('bodyTooLarge', `the body is ${declared} bytes; at most ${bodyLimit} are accepted`);
  });
  const asText = { parseAs: 'string' as const };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', asText, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', asText, (_req, body, done) => done(null, body));
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(httpErrorBody(HTTP_ERRORS.notFound));
  });
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.spec.statusCode).send(httpErrorBody(error.spec, error.detail));
    }
    const spec = fastifyErrorSpec(error);
    if (spec.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(spec.statusCode).send(httpErrorBody(spec));
  });
  for (const plugin of options.plugins) void app.register(plugin);
  return app;
}

function fastifyErrorSpec(error: FastifyError): (typeof HTTP_ERRORS)[keyof typeof HTTP_ERRORS] {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HTTP_ERRORS.bodyTooLarge;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return HTTP_ERRORS.unsupportedMediaType;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return HTTP_ERRORS.malformedBody;
    default:
      if (error.statusCode === 415) return HTTP_ERRORS.unsupportedMediaType;
      if (error.statusCode === 413) return HTTP_ERRORS.bodyTooLarge;
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return HTTP_ERRORS.malformedBody;
      return HTTP_ERRORS.internal;
  }
}
