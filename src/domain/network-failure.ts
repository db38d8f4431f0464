/**
 * What a failed fetch tells us: whether the request may have reached the
 * server. A refused connection or a DNS failure never did (a resend is safe);
 * a timeout or a reset after sending may have (the remote side may have acted).
 */
export interface NetworkFailure {
  /** False when the server certainly did not receive the request. */
  mayHaveReached: boolean;
  timedOut: boolean;
  code: string;
}

const NEVER_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function describeNetworkFailure(err: unknown): NetworkFailure {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const timedOut = e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
  const code = e?.cause?.code ?? e?.code ?? (timedOut ? 'TIMEOUT' : (e?.name ?? 'ERROR'));
  return { mayHaveReached: !NEVER_REACHED.has(code), timedOut, code };
}
