/**
 * The admin API's one credential: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time. Without a configured token every admin call is refused (the API is off). Each admin
 * plugin adds this hook to its own routes (Fastify hooks stay within their plugin).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from './http-errors.ts';

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

export function adminAuthHook(adminToken: string | undefined): onRequestAsyncHookHandler {
  return async (request) => {
    if (!request.url.startsWith('/admin/')) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!adminToken || !token || !sameSecret(token, adminToken)) {
      throw new HttpError('unauthorized', 'admin API: send Authorization: Bearer <ADMIN_TOKEN>');
    }
  };
}
