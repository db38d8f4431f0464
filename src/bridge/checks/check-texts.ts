/**
 * What the operator reads about checks (docs/hooks.md, "Checks"): one system line in the Open
 * Line, queued with the routing (before the client's first message) or with the message a
 * per-message check tagged. Russian: the operators' language.
 *
 *   [b]Проверка antifraud:[/b] метки: vip, new — постоянный клиент с 2019 года
 */
import type { CheckOutcome } from './check-call.ts';

/** One check's part of the line: its tags, the route it chose, its note; null when it said nothing to show. */
function outcomeText(o: Pick<CheckOutcome, 'check' | 'tags' | 'note' | 'route'>): string | null {
  const parts: string[] = [];
  if (o.tags.length > 0) parts.push(`метки: ${o.tags.join(', ')}`);
  if (o.route !== null) parts.push(`маршрут «${o.route}»`);
  const said = parts.join('; ');
  if (!said && !o.note) return null;
  return `[b]Проверка ${o.check}:[/b] ${[said, o.note].filter(Boolean).join(' — ')}`;
}

/** The line for the operator about these verdicts, or null when none has tags, a route or a note. */
export function checksLineText(outcomes: ReadonlyArray<Pick<CheckOutcome, 'check' | 'tags' | 'note' | 'route'>>): string | null {
  const lines = outcomes.map(outcomeText).filter((line): line is string => line !== null);
  return lines.length > 0 ? lines.join('\n') : null;
}

/** A conversation a check held or blocked, let through by an administrator. */
export function releasedText(check: string, verdict: 'hold' | 'block' | null, note: string | null): string {
  const what = verdict === 'block' ? 'заблокировала' : 'задержала';
  return `[b]Диалог пропущен администратором[/b]${verdict === null ? '' : ` — проверка ${check} его ${what}`}${note ? ` (${note})` : ''}.`;
}

/** A route named by a check's answer that is not among the routes: the conversation is routed as usual. */
export function unknownRouteNote(route: string, note: string | null): string {
  return [note, `маршрута «${route}» нет — диалог направлен по обычным правилам`].filter(Boolean).join('; ');
}
