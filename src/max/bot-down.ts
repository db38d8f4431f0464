/**
 * The health problem of a MAX bot that is down for every call (client.ts holds
 * it: a revoked token, the API unreachable), in the words an administrator acts on.
 */
import type { SideDownCause } from '../domain/side-hold.ts';

export function downBotProblem(botId: string, sinceMs: number, cause: SideDownCause): string {
  return `бот ${botId} недоступен с ${new Date(sinceMs).toISOString()}: ${cause.problem}`;
}
