/**
 * Bitrix24 REST errors: `{error, error_description}` with the real HTTP
 * statuses (spec/bitrix24-rest.md §1, §8).
 */
export class B24Error extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export const b24Errors = {
  argument: (what: string) => new B24Error(400, 'ERROR_ARGUMENT', `Argument '${what}' is null or empty`),
  invalidArgument: (text: string) => new B24Error(400, 'ERROR_ARGUMENT', text),
  noAuth: () => new B24Error(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  expiredToken: () => new B24Error(401, 'expired_token', 'The access token provided has expired.'),
  invalidToken: () => new B24Error(401, 'invalid_token', 'The access token provided is invalid.'),
  wrongAuthType: () =>
    new B24Error(403, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method Application context required'),
  accessDenied: (text = 'Access denied') => new B24Error(403, 'ACCESS_DENIED', text),
  methodNotFound: (method: string) => new B24Error(404, 'ERROR_METHOD_NOT_FOUND', `Method not found! ${method}`),
  queryLimit: () => new B24Error(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationTimeLimit: (method: string) =>
    new B24Error(429, 'OPERATION_TIME_LIMIT', `Method is blocked due to operation time limit: ${method}`),
  internal: () => new B24Error(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  /**
   * The portal has blocked the app for its load: every call answers this until support lifts
   * the manual block (b24restdocs _includes/system-errors.md: 503 in the revision the spec sheet
   * follows, 401 in a later one — a fault rule may set either status).
   */
  overloadLimit: (status = 503) => new B24Error(status, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload'),
  notActiveLine: () => new B24Error(400, 'NOT_ACTIVE_LINE', 'The line with this ID is inactive or does not exist'),
  noProvider: () => new B24Error(400, 'IMCONNECTOR_NO_CORRECT_PROVIDER', 'Connector is not registered'),
  notFound: (what: string) => new B24Error(400, 'NOT_FOUND', `${what} not found`),
  batchLength: () => new B24Error(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  batchMethod: () => new B24Error(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  eventNotFound: () => new B24Error(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found'),
  handlerExists: () => new B24Error(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!'),
};

/** The portal's own description of an error code, for injected faults (system-errors.md); else "Injected fault". */
const DESCRIPTIONS: Record<string, string> = {
  QUERY_LIMIT_EXCEEDED: 'Too many requests',
  OPERATION_TIME_LIMIT: 'Method is blocked due to operation time limit',
  INTERNAL_SERVER_ERROR: 'Internal server error',
  ERROR_UNEXPECTED_ANSWER: 'Server returned an unexpected response',
  OVERLOAD_LIMIT: 'REST API is blocked due to overload',
  ACCESS_DENIED: 'Access denied',
};

/** The error an injected `status` fault answers: the status's usual code unless the rule names one. */
export function faultError(status: number | undefined, code: string | undefined): B24Error {
  const s = status ?? 500;
  const c = code ?? (s === 503 ? 'QUERY_LIMIT_EXCEEDED' : s === 429 ? 'OPERATION_TIME_LIMIT' : 'INTERNAL_SERVER_ERROR');
  return new B24Error(s, c, DESCRIPTIONS[c] ?? 'Injected fault');
}

/** Errors of the OAuth server (`/oauth/token/`): `{error, error_description}`. */
export const oauthErrors = {
  invalidGrant: () => new B24Error(400, 'invalid_grant', 'Invalid refresh token'),
  invalidClient: () => new B24Error(401, 'invalid_client', 'Invalid client id or secret'),
  invalidRequest: (what: string) => new B24Error(400, 'invalid_request', `Missing ${what}`),
};
