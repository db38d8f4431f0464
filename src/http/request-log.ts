/**
 * What the HTTP server logs about each request (Fastify's LogController):
 * one line when it is answered — debug for a success (webhooks and events come
 * by the thousand), info for a 4xx (a caller the bridge refused: a wrong secret,
 * a bad body, or a 5xx, whose error app.ts's error handler has logged at error
 * level), error when the response itself broke. The line's `req` is written by
 * the logger's serializer: method, URL with secret query values redacted
 * (src/log/safe-url.ts), never headers or bodies. Fastify's own "route not
 * found" line would print the raw URL (a media link's `sig`): it goes through
 * the serializer too.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** 4xx and 5xx from here: a refused or failed request is worth a line at the default level. */
const REFUSED_FROM_STATUS = 400;

export class BridgeRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: { statusCode: reply.statusCode }, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'response failed');
    else if (reply.statusCode >= REFUSED_FROM_STATUS) reply.log.info(line, 'request refused');
    else reply.log.debug(line, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ req: request }, 'route not found');
  }
}
