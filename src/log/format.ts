/**
 * JSON or readable lines. `log_format` (`LOG_FORMAT`) decides when it is json or
 * pretty; at its default `auto`, the sandbox and a terminal get readable lines
 * (a person is watching) and anything else — a service manager, a container,
 * a pipe to a collector — gets JSON, one object per line (docs/logging.md).
 */
import type { LogFormat } from './logger.ts';

export function chooseLogFormat(input: { configured: 'auto' | LogFormat; sandbox: boolean; stdoutIsTty: boolean }): LogFormat {
  if (input.configured !== 'auto') return input.configured;
  return input.sandbox || input.stdoutIsTty ? 'pretty' : 'json';
}
