/**
 * What the routing engine knows about a new conversation when it chooses a route: the
 * bot, the chat, the first client message and the moment. The pipeline builds it from
 * the conversation's first stored event; the engine reads nothing else (no I/O), so the
 * same input always gives the same decision, and a test sets `nowMs` instead of waiting.
 */
import type { ChatType } from './route-rule.ts';

export interface RoutingInput {
  botId: string;
  chatType: ChatType;
  /** The deep-link payload (`https://max.ru/<bot>?start=<payload>`, bot_started), or null without one. */
  startPayload: string | null;
  /** The text of the first client message, or null (a file, a sticker, only a start). */
  firstText: string | null;
  /** The client's language as MAX reports it (a BCP 47 tag such as `ru` or `ru-RU`), or null when unknown. */
  language: string | null;
  /** When the conversation's first message arrived, ms since the Unix epoch (the clock of the working hours). */
  nowMs: number;
  /** The conversation's tags, given by checks before routing (docs/hooks.md, "Checks"); absent = none. */
  tags?: readonly string[];
}
