/**
 * The timeline comment that records on the CRM object what the bridge did for a session:
 * the route, the source, the client's MAX profile, what was made or continued. Its last line
 * names the conversation and the session: a retried step finds its comment by it and adds
 * none.
 */
import { UTM_FIELDS } from '../../domain/crm/crm-policy.ts';
import type { CrmOutcome, CrmSession } from './context.ts';

const HOW: Record<CrmOutcome['how'], string> = {
  created: 'создан новый объект CRM / a new CRM object was created',
  continued: 'продолжен открытый лид клиента / the client\'s open lead continues',
  attached: 'клиент вернулся к открытой сделке, ответственный уведомлён / the client returned to an open deal, its responsible person was notified',
  line: 'объект создан или найден Открытой линией, привязка подтверждена / made or found by the Open Line, binding confirmed',
};

/** The line that makes a session's comment unique. */
export function sessionMark(s: Pick<CrmSession, 'conversation' | 'sessionId'>): string {
  return `Диалог MAX ${s.conversation.id}, сессия ${s.sessionId}`;
}

export function commentText(s: CrmSession, outcome: CrmOutcome): string {
  const source = s.source
    ? [s.source.sourceId ? `SOURCE_ID ${s.source.sourceId}` : null, ...UTM_FIELDS.filter((f) => s.source?.utm[f]).map((f) => `${f.toLowerCase()}=${s.source?.utm[f]}`)].filter(Boolean).join(', ') || s.source.payload
    : 'без метки / none';
  const lines = [
    'MAX-мост: обращение клиента из MAX / MAX bridge: a client wrote in MAX',
    `Маршрут / Route: ${s.conversation.routeName ?? '—'}`,
    `Источник / Source: ${source}`,
    ...(s.conversation.profile?.profileUrl ? [`Профиль MAX / MAX profile: ${s.conversation.profile.profileUrl}`] : []),
    ...(s.conversation.maxUserId ? [`MAX user id: ${s.conversation.maxUserId}`] : []),
    `Что сделано / Done: ${HOW[outcome.how]}`,
    sessionMark(s),
  ];
  return lines.join('\n');
}

export async function recordOnTimeline(s: CrmSession, outcome: CrmOutcome): Promise<void> {
  const mark = sessionMark(s);
  const existing = await s.crm.timelineComments(outcome.main.type, outcome.main.id);
  if (existing.some((c) => String(c.COMMENT ?? '').includes(mark))) return;
  await s.crm.addTimelineComment(outcome.main.type, outcome.main.id, commentText(s, outcome));
}
