/**
 * A route hook that counts a request as in flight from its first byte's
 * handling until its answer is sent or its connection closes (peers.ts uses it
 * to know when nothing this process took in is still unstored).
 */
import type { onRequestHookHandler } from 'fastify';
import type { InFlightRequests } from '../domain/in-flight.ts';

export function inFlightHook(inFlight: InFlightRequests | undefined): onRequestHookHandler | undefined {
  if (!inFlight) return undefined;
  return (_request, reply, done) => {
    const token = inFlight.begin();
    reply.raw.once('close', () => inFlight.end(token));
    done();
  };
}
