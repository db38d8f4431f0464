/**
 * Dead letters (`/admin/ui/dead-letters`): jobs that failed for good, each with its error and what
 * to do; an admin replays one or all (of one error code), as `npm run bridge -- dead-letters
 * replay` does (DeadLetterRepo), and the runner is woken so they go at once.
 */
import { conversationOfQueue } from '../../queue/job-kinds.ts';
import { fixFor } from '../error-fixes.ts';
import { formatAgo, formatTime } from '../i18n.ts';
import type { AdminPage } from '../page.ts';
import { renderView } from '../render.ts';
import { DEAD_LETTERS_VIEW } from '../views/dead-letters.ts';

/** Most dead letters listed at once (the CLI lists up to 1000 too). */
const LIST_MAX = 1_000;
/** A last error longer than this is cut in the list (the whole text is in the journal). */
const ERROR_SHOWN_CHARS = 300;

const PATH = '/admin/ui/dead-letters';

export const deadLettersPage: AdminPage = {
  path: 'dead-letters',
  nav: { ru: 'Недоставленные', en: 'Dead letters', order: 35 },
  async get(ctx) {
    const all = await ctx.deps.store.deadLetters.list(LIST_MAX + 1);
    const code = ctx.query.code ?? '';
    const codes = [...new Set(all.map((l) => l.errorCode ?? '').filter((c) => c !== ''))].sort();
    const shown = all.slice(0, LIST_MAX).filter((l) => code === '' || l.errorCode === code);
    const replayed = ctx.query.replayed;
    const notice = replayed === undefined ? null
      : /^\d+$/.test(replayed) ? ctx.t(`Поставлено в очередь заново: ${replayed}.`, `Queued again: ${replayed}.`) : null;
    const html = renderView(DEAD_LETTERS_VIEW, {
      t: ctx.t, notice, code, codes, csrfToken: ctx.csrfToken, canReplay: ctx.user.role === 'admin', more: all.length > LIST_MAX,
      letters: shown.map((l) => {
        const error = ctx.mask.text(l.error);
        const conversationId = conversationOfQueue(l.conversationKey);
        return {
          id: l.id, kind: l.kind, conversation: l.conversationKey,
          conversationHref: conversationId === null ? null : `/admin/ui/conversations/${encodeURIComponent(conversationId)}`, attempts: l.attempts, code: l.errorCode ?? '—', fix: fixFor(l.errorCode, ctx.lang),
          when: `${formatTime(l.diedAtMs, ctx.lang)} (${formatAgo(l.diedAtMs, ctx.nowMs, ctx.lang)})`,
          error: error.length > ERROR_SHOWN_CHARS ? `${error.slice(0, ERROR_SHOWN_CHARS)}…` : error,
        };
      }),
    });
    return { title: ctx.t('Недоставленные задания', 'Dead letters'), html };
  },
  async post(ctx, form) {
    const { store, log } = ctx.deps;
    if (form.action === 'replay') {
      if (!/^\d+$/.test(form.id ?? '')) return { redirect: PATH };
      const replayed = await store.deadLetters.replay(Number(form.id));
      if (replayed) {
        ctx.deps.poke();
        log.info({ admin: ctx.user.username, jobId: Number(form.id) }, 'dead letter replayed from the admin UI');
      }
      return { redirect: `${PATH}?replayed=${replayed ? 1 : 0}` };
    }
    if (form.action === 'replay_all') {
      const code = form.code ? form.code : undefined;
      const count = await store.deadLetters.replayAll(code);
      if (count > 0) ctx.deps.poke();
      log.info({ admin: ctx.user.username, count, errorCode: code }, 'dead letters replayed from the admin UI');
      return { redirect: `${PATH}?replayed=${count}` };
    }
    return { redirect: PATH };
  },
};
