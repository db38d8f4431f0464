import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaxEmulatorError } from './errors.ts';
import type { FaultTable } from './faults.ts';
import { stringifyMax } from './json.ts';
import type { BotState } from './model.ts';
import type { SlidingWindow } from './rate-limits.ts';
import type { WebhookTrust } from './webhook-tls.ts';
import type { MaxWorld } from './world.ts';

export interface MaxEmulatorSettings {
  /** Real-world durations are multiplied by this (1 = real time). */
  timeFactor: number;
  attachmentNotReadyMs: number;
  textMaxLength: number;
  /** Counts text length in Unicode code points ('chars') or UTF-8 bytes. */
  textLengthUnit: 'chars' | 'bytes';
  webhookTimeoutMs: number;
  /** First retry delay and multiplier of the webhook back-off (60 s, ×2.5). */
  webhookRetryFirstDelayMs: number;
  webhookRetryMultiplier: number;
  webhookMaxRetries: number;
  /** Without a success for this long the subscription is deleted (8 h). */
  webhookFailureWindowMs: number;
  /** Dialog messages without a keyboard can be edited for 7 days. */
  editWindowMs: number;
  duplicateDeliveryRate: number;
  /** A redelivered update comes 1…N extra times (at random moments within ~2 s, scaled). */
  duplicateDeliveryMaxCopies: number;
  reorderRetries: boolean;
  /**
   * Like the real service: subscription URLs must be https on port 443 (no port in the URL), and
   * deliveries check the certificate against MAX's trust (webhook-tls.ts: the public roots plus
   * the emulator's `webhookCaCerts`; `webhookAddresses` stand in for DNS and port 443).
   */
  strictWebhookUrls: boolean;
  /** Longest file name MAX takes, in characters (code points): 200. */
  fileNameMaxLength: number;
  /**
   * Where a too-long file name is refused: at the upload URL ('upload', the default) or when a
   * message carries the file ('send'). MAX documents neither; a bridge must survive both.
   */
  fileNameRefusedAt: 'upload' | 'send';
  /**
   * How far MAX's clock is from this machine's, ms (`PUT /_control/clock`): every answer's `Date`
   * header says that time, as a server whose clock is off would. Message times stay on this
   * machine's clock. 0 or absent: the real time.
   */
  clockSkewMs?: number;
}

export interface MaxContext {
  world: MaxWorld;
  settings: MaxEmulatorSettings;
  botLimit: SlidingWindow;
  chatLimit: SlidingWindow;
  faults: FaultTable;
  random: () => number;
  baseUrl: () => string;
  /** What strict deliveries trust and where their hosts are reached (webhook-tls.ts); none: the public roots, real DNS. */
  webhookTrust?: WebhookTrust;
  /** A real-world duration scaled by the time factor. */
  scaled: (realMs: number) => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    maxBot?: BotState;
  }
}

export function sendMax(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).header('content-type', 'application/json; charset=utf-8').send(stringifyMax(body));
}

export function sendMaxError(reply: FastifyReply, error: MaxEmulatorError): FastifyReply {
  return sendMax(reply, error.statusCode, error.toBody());
}

/** The bot behind an authenticated Bot API request (set by the auth hook). */
export function requestBot(request: FastifyRequest): BotState {
  if (!request.maxBot) throw new Error('auth hook did not run');
  return request.maxBot;
}
