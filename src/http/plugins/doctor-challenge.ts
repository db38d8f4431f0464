import type { FastifyPluginAsync } from 'fastify';
import { CHALLENGE_NONCE_PATTERN, challengeAnswer } from '../../domain/doctor-challenge.ts';
import { HttpError } from '../http-errors.ts';

export interface DoctorChallengeOptions {
  /** The challenge key (src/domain/doctor-challenge.ts): derived from BRIDGE_SECRET_KEY, random without one. */
  key: Buffer;
}

/**
 * GET /doctor/challenge/:nonce: `{ answer }`, the HMAC of the nonce under the challenge key.
 * `doctor` calls it through PUBLIC_URL to learn that the public address reaches this bridge
 * (docs/operations.md, "doctor"). No auth, no I/O, nothing stored; never cached.
 */
export function doctorChallengePlugin(options: DoctorChallengeOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/doctor/challenge/:nonce', async (request, reply) => {
      const { nonce } = request.params as { nonce: string };
      if (!CHALLENGE_NONCE_PATTERN.test(nonce)) throw new HttpError('invalidQuery', 'the challenge is 16 to 128 characters of A-Z, a-z, 0-9, "_" and "-"');
      return reply.header('cache-control', 'no-store').send({ answer: challengeAnswer(options.key, nonce) });
    });
  };
}
