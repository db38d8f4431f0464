/**
 * Errors in the real MAX shape: `{code, message}` with the real status codes
 * (spec/max-bot-api.md §1). Message texts are the observed ones where known.
 */
export class MaxEmulatorError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toBody(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const maxErrors = {
  invalidToken: () => new MaxEmulatorError(401, 'verify.token', 'Invalid access_token'),
  payload: (message: string) => new MaxEmulatorError(400, 'proto.payload', message),
  /**
   * MAX refusing a text's formatting. The message is the one observed by third parties
   * ("Some Markdown syntax is not supported. Use basic formatting.", a 400; n8n-nodes-max's
   * resilience test); the code is not documented and taken to be the validation code.
   */
  formatNotSupported: () => new MaxEmulatorError(400, 'proto.payload', 'Some Markdown syntax is not supported. Use basic formatting.'),
  /** A file name over MAX's limit (assumed 200 characters; the shape is the validation error's, spec §1). */
  fileNameTooLong: (length: number, max: number) =>
    new MaxEmulatorError(400, 'proto.payload', `Field 'filename' size (${length}) must be at most ${max}`),
  notReady: () =>
    new MaxEmulatorError(400, 'attachment.not.ready', 'Key: errors.process.attachment.file.not.processed'),
  denied: (message: string) => new MaxEmulatorError(403, 'chat.denied', message),
  suspended: () => new MaxEmulatorError(403, 'chat.denied', 'error.dialog.suspended'),
  chatNotFound: (chatId: string | number) =>
    new MaxEmulatorError(404, 'chat.not.found', `Chat ${chatId} not found`),
  notFound: (message: string) => new MaxEmulatorError(404, 'not.found', message),
  notAllowed: (message: string) => new MaxEmulatorError(405, 'method.not.allowed', message),
  tooManyRequests: () => new MaxEmulatorError(429, 'too.many.requests', 'Too many requests'),
  internal: () => new MaxEmulatorError(500, 'internal', 'Internal server error'),
  unavailable: () => new MaxEmulatorError(503, 'service.unavailable', 'Service unavailable'),
};
