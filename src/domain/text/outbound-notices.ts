/**
 * The operator's notices in the Open Line (BB-code, Russian) for replies that
 * reached MAX only in part, or could not be sent because the bot may not
 * write first. The general "not delivered" notice is system-texts.ts's
 * `undeliveredText`; these follow its shape.
 */
import { escapeBbcodeText } from './markup-to-bbcode.ts';

/** Why one part of a reply did not go: a file over MAX's size, a file the portal would not give, MAX's refusal. */
export type PartFailureReason = 'tooLarge' | 'download' | 'refused';

export interface PartFailure {
  /** The file's name; null for a text part. */
  fileName: string | null;
  reason: PartFailureReason;
  /** MAX's or the portal's words, shown after the reason. */
  detail?: string;
}

const WHY: Record<PartFailureReason, string> = {
  tooLarge: 'файл слишком большой для MAX',
  download: 'не удалось получить файл с портала',
  refused: 'MAX отклонил его',
};

function quoted(excerpt: string): string {
  if (!excerpt) return '';
  return ` «${escapeBbcodeText(excerpt.length > 80 ? `${excerpt.slice(0, 79)}…` : excerpt)}»`;
}

function failureLine(f: PartFailure): string {
  const what = f.fileName !== null ? `файл «${escapeBbcodeText(f.fileName)}»` : 'текст';
  return `${what} — ${WHY[f.reason]}${f.detail ? ` (${escapeBbcodeText(f.detail)})` : ''}`;
}

/** Some parts of a reply did not go; `deliveredRest`: the text and the other files did. */
export function partsNotDeliveredText(excerpt: string, failures: PartFailure[], deliveredRest: boolean): string {
  const rest = deliveredRest ? ' Остальное отправлено клиенту.' : '';
  return `[b]Не всё доставлено клиенту в MAX[/b]${quoted(excerpt)}: не отправлено: ${failures.map(failureLine).join('; ')}.${rest}`;
}

/**
 * The Open Lines chat belongs to no MAX dialog the bridge knows: the client never wrote to
 * the bot, and MAX lets a bot write to a user only after the user started it or wrote first.
 */
export function botCannotWriteFirstText(excerpt: string): string {
  return `[b]Сообщение не доставлено клиенту в MAX[/b]${quoted(excerpt)}: клиент ещё не писал боту в MAX. `
    + 'MAX разрешает боту писать человеку только после того, как тот сам запустит бота или напишет ему. '
    + 'Ответить можно будет, когда клиент напишет боту.';
}

/** The dialog's bot is no longer in the bridge's configuration. */
export function botNotConfiguredText(excerpt: string): string {
  return `[b]Сообщение не доставлено клиенту в MAX[/b]${quoted(excerpt)}: бот этого диалога не подключён к мосту. Обратитесь к администратору.`;
}

/**
 * The bot cannot send anything right now (revoked token, MAX unreachable): the reply waits and
 * goes, with the ones after it, in order, when the bot is back. Once per conversation per outage.
 */
export function botDownText(excerpt: string, sinceMs: number, problem: string): string {
  const since = new Date(sinceMs).toISOString().replace('T', ' ').slice(0, 16);
  return `[b]Ответ пока не доставлен клиенту в MAX[/b]${quoted(excerpt)}: бот недоступен с ${since} UTC (${escapeBbcodeText(problem)}). `
    + 'Мост отправит этот и следующие ответы по порядку, как только бот снова заработает; повторять не нужно.';
}
