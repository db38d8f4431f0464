/**
 * `npm run bridge -- purge [--dry-run]`: deletes what is older than its retention
 * (`retention.*`, `journal.retention_days`) from the store the configuration names, now —
 * what the running bridge does every `retention.purge_interval_minutes` (src/bridge/retention.ts;
 * the rules, table by table: src/store/repos/retention-repo.ts). With --dry-run it only counts.
 * It prints, per kind of data, its setting, the cutoff date and the rows it would delete /
 * deleted; while it deletes, a progress bar on a terminal and plain lines otherwise (stderr).
 * Safe while bridges run: each batch is one short statement, and every delete re-checks its rule.
 *
 * Exit 0: done (a dry run too); 1: the purge failed (what it deleted stays deleted; run it
 * again); 2: bad usage or a configuration error.
 */
import { dryRunArgsExit } from './dry-run-args.ts';
import { systemClock } from '../domain/clock.ts';
import { retentionPlan, totalOf, type RetentionPlan, type RetentionSettings } from '../bridge/retention.ts';
import { PURGE_TARGETS, type PurgeCounts, type PurgeTarget } from '../store/repos/retention-repo.ts';
import { openCliStore } from './cli-store.ts';
import { startProgress } from './progress.ts';

export const PURGE_USAGE = [
  'Использование / usage: npm run bridge -- purge [--dry-run]',
  '',
  'Удалить данные старше их срока хранения (retention.*, journal.retention_days) — то же, что работающий мост',
  'делает каждые retention.purge_interval_minutes. Ничто, что ещё нужно для доставки, не удаляется.',
  'Можно при работающем мосте. Подробнее: docs/operations.md, «Сроки хранения и очистка».',
  '  --dry-run   только посчитать, что будет удалено, ничего не удалять',
  '',
  'Delete what is older than its retention (retention.*, journal.retention_days) — what the running bridge',
  'does every retention.purge_interval_minutes. Nothing still needed for a delivery is deleted.',
  'Safe while the bridge runs. More: docs/operations.md, "Retention and purge".',
  '  --dry-run   count what would be deleted, delete nothing',
  '',
  'Exit 0: done; 1: the purge failed (run it again); 2: usage or configuration.',
].join('\n');


/** Each target: what it is, in Russian and English, and which setting and cutoff decide it. */
const TARGETS: Record<PurgeTarget, { ru: string; en: string; cutoff: 'journal' | 'events' | 'messages' | 'files' | 'deadLetters' }> = {
  journal: { ru: 'журнал обменов', en: 'journal', cutoff: 'journal' },
  jobs: { ru: 'выполненные задания', en: 'done jobs', cutoff: 'events' },
  dead_letters: { ru: 'недоставленные задания', en: 'dead letters', cutoff: 'deadLetters' },
  events: { ru: 'обновления MAX и события Битрикс24', en: 'raw updates and events', cutoff: 'events' },
  skipped_updates: { ru: 'пропущенные обновления', en: 'skipped updates', cutoff: 'events' },
  hook_deliveries: { ru: 'доставки вебхукам (завершённые)', en: 'webhook deliveries (finished)', cutoff: 'events' },
  hook_events: { ru: 'события для вебхуков', en: 'webhook events', cutoff: 'events' },
  line_outbox: { ru: 'очередь линии (отправленное)', en: 'line outbox (sent)', cutoff: 'messages' },
  messages: { ru: 'сообщения клиентов (id)', en: 'client message ids', cutoff: 'messages' },
  outbound_parts: { ru: 'ответы операторов (id в MAX)', en: 'operator reply ids', cutoff: 'messages' },
  outbound_uploads: { ru: 'файлы операторов в MAX', en: 'operator file uploads', cutoff: 'messages' },
  operator_notices: { ru: 'уведомления операторам', en: 'operator notices', cutoff: 'messages' },
  client_notices: { ru: 'уведомления клиентам', en: 'client notices', cutoff: 'messages' },
  crm_links: { ru: 'привязки к CRM', en: 'CRM bindings', cutoff: 'messages' },
  check_verdicts: { ru: 'решения проверок', en: 'check verdicts', cutoff: 'messages' },
  media: { ru: 'файлы клиентов', en: 're-hosted files', cutoff: 'files' },
  conversation_gates: { ru: 'задержки и блокировки диалогов', en: 'conversation holds and blocks', cutoff: 'messages' },
  conversations: { ru: 'диалоги без активности', en: 'idle conversations', cutoff: 'messages' },
};

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The settings and cutoffs, one line per kind. */
function cutoffLines(settings: RetentionSettings, plan: RetentionPlan): string[] {
  const c = plan.cutoffs;
  const messages = plan.messagesKeptBy === 'retention.messages_days'
    ? `retention.messages_days ${settings.retention.messages_days}`
    : `retention.messages_days ${settings.retention.messages_days}, не меньше / at least ${plan.messagesKeptDays} (${plan.messagesKeptBy}: столько читает история при восполнении / a catch-up reads that far back)`;
  return [
    `Сроки хранения (UTC) / retention, now ${day(c.nowMs)} UTC:`,
    `  journal      до / before ${day(c.journalBeforeMs)}   journal.retention_days ${settings.journal.retention_days}`,
    `  events       до / before ${day(c.eventsBeforeMs)}   retention.events_days ${settings.retention.events_days}`,
    `  messages     до / before ${day(c.messagesBeforeMs)}   ${messages}`,
    `  files        до / before ${day(c.filesBeforeMs)}   retention.files_days ${settings.retention.files_days} (и истёкшие / and expired)`,
    `  dead letters до / before ${day(c.deadLettersBeforeMs)}   retention.dead_letters_days ${settings.retention.dead_letters_days}`,
  ];
}

function countLines(counts: PurgeCounts, header: string): string[] {
  const names = PURGE_TARGETS.map((t) => `${TARGETS[t].ru} / ${TARGETS[t].en}`);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    header,
    ...PURGE_TARGETS.map((t, i) => `  ${(names[i] as string).padEnd(width)}${String(counts[t]).padStart(9)}   ${t} (${TARGETS[t].cutoff})`),
    `  ${'всего / total'.padEnd(width)}${String(totalOf(counts)).padStart(9)}`,
  ];
}

export async function purgeCommand(args: string[]): Promise<number> {
  const exit = dryRunArgsExit('purge', args, PURGE_USAGE);
  if (exit !== null) return exit;
  const dryRun = args.includes('--dry-run');
  const opened = await openCliStore('purge');
  if (!opened.ok) return opened.exitCode;
  const { config, store } = opened;
  try {
    const plan = retentionPlan(config, systemClock.nowMs());
    console.log(cutoffLines(config, plan).join('\n'));
    const counting = startProgress({ label: 'подсчёт / counting', total: PURGE_TARGETS.length });
    const planned = await store.retention.plan(plan.cutoffs, { onCounted: (target) => counting.advance(1, target) });
    counting.stop();
    if (dryRun) {
      console.log(countLines(planned, 'Пробный прогон, ничего не удалено; будет удалено строк / dry run, nothing deleted; rows a purge would delete:').join('\n'));
      return 0;
    }
    const progress = startProgress({ label: 'удаление / purge', total: totalOf(planned) });
    let deleted: PurgeCounts;
    try {
      deleted = await store.retention.purge(plan.cutoffs, { onProgress: (target, rows) => progress.advance(rows, target) });
    } finally {
      progress.stop();
    }
    console.log(countLines(deleted, 'Удалено строк / rows deleted:').join('\n'));
    return 0;
  } catch (err) {
    console.error(`purge: не удалось / failed: ${err instanceof Error ? err.message : String(err)}; удалённое остаётся удалённым, запустите снова / what was deleted stays deleted; run it again`);
    return 1;
  } finally {
    await store.close();
  }
}
