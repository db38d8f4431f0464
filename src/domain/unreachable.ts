/**
 * A network failure that says the whole side is unreachable, not that one call
 * went wrong: the name does not resolve, nothing listens, no route, or the TLS
 * certificate is refused. Such a failure never reached the server, and every
 * other call would fail the same way until someone fixes DNS, the firewall or
 * the certificate — the side is held (side-hold.ts). Timeouts and resets are
 * not here: they are one call's bad luck as often as an outage.
 */
import type { NetworkFailure } from './network-failure.ts';

const UNREACHABLE_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isSideUnreachable(failure: NetworkFailure): boolean {
  return UNREACHABLE_CODES.has(failure.code);
}
