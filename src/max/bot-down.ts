/**
 * The health problem of a MAX bot that is down for every call (client.ts holds
 * it: a revoked token, the API unreachable), in the words an administrator acts on.
 */
import type { SideDownCause } from '../domain/side-hold.ts';

export function downBotProblem(botId: string, sinceMs: number, cause: SideDownCause): string {
  return `бот ${botId} недоступен с ${new Date(sinceMs).toISOString()}: ${cause.problem}`;
}

/** The health problem of a bot whose calls to MAX have all failed in passing for a minute (side-hold.ts, degraded). */
export function degradedBotProblem(botId: string, sinceMs: number, code: string): string {
  return `бот ${botId}: API MAX отвечает ошибками с ${new Date(sinceMs).toISOString()} (${code}): ответы операторов ждут и уйдут по порядку, когда MAX ответит / `
    + `bot ${botId}: the MAX API has been failing since then: replies wait and go in order when it answers`;
}
