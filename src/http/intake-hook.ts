/**
 * A route hook that counts a refused intake request: `rejected` for a 4xx (bad
 * secret, unknown bot or portal, malformed body), `failed` for a 5xx (nothing
 * stored; the sender retries). It runs only when the route answers with an
 * error, so an accepted request pays nothing for it.
 */
import type { onErrorHookHandler } from 'fastify';
import type { IntakeTallies } from '../metrics/bridge-metrics.ts';

const FIRST_SERVER_ERROR = 500;

export function refusedIntakeHook(intake: IntakeTallies | undefined): onErrorHookHandler | undefined {
  if (!intake) return undefined;
  return (_request, reply, _error, done) => {
    (reply.statusCode >= FIRST_SERVER_ERROR ? intake.failed : intake.rejected).inc();
    done();
  };
}
