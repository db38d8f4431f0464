import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaxEmulatorError } from './errors.ts';
import type { FaultTable } from './faults.ts';
import { stringifyMax } from './json.ts';
import type { BotState } from './model.ts';
import type { SlidingWindow } from './rate-limits.ts';
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
  /** When true, subscription URLs must be https on port 443 like the real service. */
  strictWebhookUrls: boolean;
  /** Longest file name MAX takes, in characters (code points): 200. */
  fileNameMaxLength: number;
  /**
   * Where a too-long file name is refused: at the upload URL ('upload', the default) or when a
   * message carries the file ('send'). MAX documents neither; a bridge must survive both.
   */
  fileNameRefusedAt: 'upload' | 'send';
}

export interface MaxContext {
  world: MaxWorld;
  settings: MaxEmulatorSettings;
  botLimit: SlidingWindow;
  chatLimit: SlidingWindow;
  faults: FaultTable;
  random: () => number;
  baseUrl: () => string;
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
