/**
 * A route hook that counts a request as in flight from its first byte's
 * handling until its answer is sent or its connection closes (the line flush
 * and peers.ts use it to know when nothing this process took in is still
 * unstored). The handler reads when its request began with `requestBeganAtMs`.
 */
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { InFlightRequests } from '../domain/in-flight.ts';

const beganAt = new WeakMap<FastifyRequest, number>();

export function inFlightHook(inFlight: InFlightRequests | undefined): onRequestHookHandler | undefined {
  if (!inFlight) return undefined;
  return (request, reply, done) => {
    const token = inFlight.begin();
    beganAt.set(request, inFlight.beganAtMs(token) as number);
    reply.raw.once('close', () => inFlight.end(token));
    done();
  };
}

/** The begin stamp of a request counted by the hook (undefined without it). */
export function requestBeganAtMs(request: FastifyRequest): number | undefined {
  return beganAt.get(request);
}
