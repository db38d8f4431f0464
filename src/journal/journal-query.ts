/**
 * A journal search as people write it — the admin API's query string
 * (`GET /admin/journal?client=…&from=…`) and the CLI's options (`journal search --client …`)
 * — checked and turned into the store's JournalQuery. Each problem names the parameter and
 * what it takes; nothing is searched while there is one.
 */
import type { JournalQuery } from '../store/repos/journal-repo.ts';
import { JOURNAL_PAGE_MAX } from '../store/repos/journal-repo.ts';

/** The parameters, with what each takes (the problems and the CLI's help quote these). */
export const JOURNAL_FILTERS: Readonly<Record<string, string>> = {
  client: 'MAX user id of the client',
  chat: 'MAX chat id',
  conversation: 'conversation id, <bot id>:<MAX chat id>',
  message: 'message id (MAX mid or Bitrix24 message id)',
  portal: 'portal id',
  line: 'line, <portal id>:<line id>',
  bot: 'bot id',
  side: 'max, bitrix24, hook or admin (views of a client\'s data in the admin UI)',
  direction: 'in (they called us) or out (we called them)',
  from: 'start time, ISO 8601 (2026-12-03T10:00:00+03:00) or a date (2026-12-03, Moscow time)',
  to: 'end time (exclusive), same forms as from',
  status: 'ok (2xx), failed (no answer, 4xx, 5xx) or an HTTP status',
  code: 'error code, e.g. BRG_ERR_CLIENT_BLOCKED, QUERY_LIMIT_EXCEEDED, DUPLICATE',
  text: 'words in the endpoint or a body, 2 to 200 characters as written (letter case may matter), e.g. imconnector or an admin user\'s name',
  before: 'the next_before of the previous page',
  limit: `rows per page, 1 to ${JOURNAL_PAGE_MAX} (default 100)`,
};

export type JournalQueryResult = { ok: true; query: JournalQuery } | { ok: false; problems: string[] };

const ID_TEXT = /^[\w.:@+-]{1,200}$/;
/** A day without a time is a day in Moscow, where the bridge's users are. */
const MOSCOW_OFFSET = '+03:00';

function timeOf(text: string): number | null {
  const withTime = /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00:00${MOSCOW_OFFSET}` : text;
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(withTime)) return null;
  const ms = Date.parse(withTime);
  return Number.isFinite(ms) ? ms : null;
}

export function parseJournalQuery(params: Readonly<Record<string, string | undefined>>): JournalQueryResult {
  const problems: string[] = [];
  const query: JournalQuery = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!(name in JOURNAL_FILTERS)) {
      problems.push(`unknown parameter "${name}"; the parameters are ${Object.keys(JOURNAL_FILTERS).join(', ')}`);
      continue;
    }
    const bad = () => problems.push(`${name}: "${value.slice(0, 80)}" is not ${JOURNAL_FILTERS[name]}`);
    switch (name) {
      case 'side':
        if (value === 'max' || value === 'bitrix24' || value === 'hook' || value === 'admin') query.side = value;
        else bad();
        break;
      case 'direction':
        if (value === 'in' || value === 'out') query.direction = value;
        else bad();
        break;
      case 'from':
      case 'to': {
        const ms = timeOf(value);
        if (ms === null) bad();
        else if (name === 'from') query.fromMs = ms;
        else query.toMs = ms;
        break;
      }
      case 'status':
        if (value === 'ok' || value === 'failed') query.status = value;
        else if (/^[1-5]\d\d$/.test(value)) query.status = Number(value);
        else bad();
        break;
      case 'text':
        if (value.trim().length >= 2 && value.length <= 200) query.text = value.trim();
        else bad();
        break;
      case 'before':
        if (/^[1-9]\d{0,15}$/.test(value)) query.before = Number(value);
        else bad();
        break;
      case 'limit':
        if (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= JOURNAL_PAGE_MAX) query.limit = Number(value);
        else bad();
        break;
      default: {
        if (!ID_TEXT.test(value)) {
          bad();
          break;
        }
        const key = ({
          client: 'maxUserId', chat: 'maxChatId', conversation: 'conversationId', message: 'messageId', portal: 'portalId', line: 'lineRef', bot: 'botId', code: 'errorCode',
        } as const)[name as 'client'];
        query[key] = value;
      }
    }
  }
  if (query.fromMs !== undefined && query.toMs !== undefined && query.toMs <= query.fromMs) problems.push('to must be later than from');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, query };
}
