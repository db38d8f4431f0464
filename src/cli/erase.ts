/**
 * `npm run bridge -- erase --max-user <id> [--yes] [--by <who asked>] [--vacuum full|plain]`:
 * erasure of one client (152-ФЗ) from the store the configuration names (the admin API's
 * `POST /admin/erasures` does the same in the running bridge). Without --yes it is a dry run:
 * what would be deleted or anonymised per table, the work that would never be done, and the
 * command that erases. With --yes it erases (a progress bar on a terminal, plain lines
 * otherwise, on stderr) and prints the counts and the erasure record.
 * `erase --list [--max-user <id>]` lists the records; with an id, whether it was erased.
 * The webhooks of the configuration subscribed to `client.erased` get that event, with the
 * record (src/bridge/client-erased.ts).
 *
 * Exit 0: done (a dry run, also when nothing was found; an erasure; with --yes and nothing
 * found the request is still recorded, with no rows: the answer to the person is "nothing
 * held", and the record shows it was handled); 1: erased, but the SQLite WAL stayed busy and
 * still holds old pages (run the command again); 2: bad usage, a configuration error, or the id is a bot's.
 */
import { parseArgs } from 'node:util';
import { onClientErased } from '../bridge/client-erased.ts';
import { hookEmitter } from '../bridge/hook-events.ts';
import { systemClock } from '../domain/clock.ts';
import type { ErasureCounts, ErasurePlan, ErasureRecord, ErasureResult } from '../store/repos/erasure-repo.ts';
import { MAX_USER_ID, NotAClientError } from '../store/repos/erasure-repo.ts';
import type { Store } from '../store/open-store.ts';
import { SNAPSHOT_WAIT_MS } from '../store/freed-space.ts';
import { openCliStore } from './cli-store.ts';
import { startProgress } from './progress.ts';

export const ERASE_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- erase --max-user <MAX user id>                 пробный прогон: что будет удалено / dry run: what would go',
  '  npm run bridge -- erase --max-user <MAX user id> --yes [--by <кто запросил / who asked>] [--vacuum full|plain]',
  '      удалить данные клиента и записать факт удаления / erase the client\'s data and record the erasure',
  '  npm run bridge -- erase --list [--max-user <MAX user id>]        записи об удалениях; с id — удалялся ли клиент / erasure records',
  '',
  '  --vacuum full   PostgreSQL: VACUUM FULL затронутых таблиц (по умолчанию; таблица заблокирована, пока копируется);',
  '                  SQLite: ещё и VACUUM всего файла (для данных, удалённых до включения secure_delete)',
  '  --vacuum plain  PostgreSQL: обычный VACUUM (без блокировки, но байты остаются до перезаписи); SQLite: по умолчанию',
  '                  / PostgreSQL: VACUUM FULL of the touched tables (default; each locked while copied), or a plain',
  '                  VACUUM (no lock, the bytes stay until reused); SQLite: secure_delete and a WAL checkpoint (default),',
  '                  with full also a VACUUM of the whole file. docs/privacy.md, "Erasing one client".',
].join('\n');

function fail(message: string): number {
  console.error(`erase: ${message}\n\n${ERASE_USAGE}`);
  return 2;
}

function countLines(rows: ErasureCounts): string[] {
  const tables = [...new Set([...Object.keys(rows.deleted), ...Object.keys(rows.anonymised)])];
  return tables.map((t) => {
    const d = rows.deleted[t as keyof ErasureCounts['deleted']] ?? 0;
    const a = rows.anonymised[t as keyof ErasureCounts['anonymised']] ?? 0;
    return `  ${t.padEnd(20)}${d > 0 ? `удалить / delete ${d}` : ''}${d > 0 && a > 0 ? ', ' : ''}${a > 0 ? `обезличить / anonymise ${a}` : ''}`;
  });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printPlan(maxUserId: string, plan: ErasurePlan): void {
  if (plan.rowsTotal === 0) {
    console.log(`О клиенте ${maxUserId} ничего не найдено / nothing found about MAX user ${maxUserId}.`);
    return;
  }
  console.log(`Клиент MAX ${maxUserId}: строк ${plan.rowsTotal} / MAX user ${maxUserId}: ${plan.rowsTotal} rows`);
  console.log(`  диалоги (удаляются целиком) / dialogs (deleted whole): ${plan.dialogs.join(', ') || '—'}`);
  if (plan.groups.length > 0) console.log(`  группы (остаются, часть клиента обезличивается) / group chats (kept, the client's part anonymised): ${plan.groups.join(', ')}`);
  for (const line of countLines(plan.rows)) console.log(line);
  const u = plan.unfinished;
  if (u.jobs + u.deadLetters + u.outboxItems > 0) {
    console.log('Клиент просил удалить свои данные: эта работа не будет выполнена / the client asked to be erased, so this work will never be done:');
    if (u.jobs > 0) console.log(`  заданий в работе или в очереди / jobs pending or running: ${u.jobs}`);
    if (u.deadLetters > 0) console.log(`  недоставленных (dead letters): ${u.deadLetters}`);
    if (u.outboxItems > 0) console.log(`  сообщений, ещё не отправленных в линию / items not yet sent to the Open Line: ${u.outboxItems}`);
  }
  if (plan.rewrites.length > 0) {
    console.log('PostgreSQL: VACUUM FULL перепишет эти таблицы, каждая заблокирована на время копирования / VACUUM FULL will rewrite these tables, each locked while it is copied:');
    for (const r of plan.rewrites) console.log(`  ${r.table.padEnd(20)}${megabytes(r.bytes)}`);
  }
}

function printResult(result: ErasureResult): void {
  console.log(result.rowsTotal === 0
    ? 'Ничего не найдено; запрос записан / nothing found; the request is recorded.'
    : `Удалено и обезличено строк / rows deleted and anonymised: ${result.rowsTotal}`);
  for (const line of countLines(result.rows)) console.log(line.replace('удалить / delete', 'удалено / deleted').replace('обезличить / anonymise', 'обезличено / anonymised'));
  printRecord(result.record);
  const f = result.freedSpace;
  console.log(`Освобождённое место / freed space: vacuum ${f.vacuum}${f.vacuumed.length > 0 ? ` (${f.vacuumed.join(', ')})` : ''}${f.walTruncated === undefined ? '' : `, WAL ${f.walTruncated ? 'truncated' : 'BUSY'}`}${f.olderSnapshots ? `, ${f.olderSnapshots} older snapshot(s) still open` : ''}`);
  console.log('Диалоги клиента в Битрикс24 удаляются в самом Битрикс24 / the client\'s dialogs in Bitrix24 are erased in Bitrix24 itself: docs/privacy.md.');
}

function printRecord(r: ErasureRecord): void {
  console.log(`Запись об удалении / erasure record ${r.id}: ${new Date(r.atMs).toISOString()}, запросил / requested by ${r.requestedBy}, строк / rows ${r.rowsTotal}, subject ${r.subjectHash}`);
}

async function list(store: Store, maxUserId: string | undefined): Promise<number> {
  const records = await store.erasure.records(maxUserId === undefined ? {} : { maxUserId });
  for (const r of records) printRecord(r);
  if (maxUserId !== undefined) {
    console.log(records.length > 0 ? `Клиент ${maxUserId} удалялся / was erased.` : `Записей об удалении клиента ${maxUserId} нет / no erasure record of MAX user ${maxUserId}.`);
  } else if (records.length === 0) {
    console.log('Записей об удалениях нет / no erasure records.');
  }
  return 0;
}

export async function eraseCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args, allowPositionals: false, strict: true,
      options: { 'max-user': { type: 'string' }, yes: { type: 'boolean' }, by: { type: 'string' }, vacuum: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(ERASE_USAGE);
    return 0;
  }
  const maxUserId = values['max-user'];
  if (maxUserId !== undefined && !MAX_USER_ID.test(maxUserId)) return fail(`--max-user "${maxUserId}" не id клиента MAX / is not a MAX user id; fix: a whole number, e.g. --max-user 123456789`);
  if (values.list && (values.yes || values.by !== undefined || values.vacuum !== undefined)) return fail('--list lists records; it takes only --max-user');
  if (!values.list && maxUserId === undefined) return fail('нужен --max-user <id> / --max-user <id> is needed');
  const vacuum = values.vacuum;
  if (vacuum !== undefined && vacuum !== 'full' && vacuum !== 'plain') return fail('--vacuum is full or plain');
  if (values.by !== undefined && (values.by.trim() === '' || values.by.length > 200)) return fail('--by: who asked, 1–200 characters (a name or a ticket, not the client\'s data)');
  const opened = await openCliStore('erase');
  if (!opened.ok) return opened.exitCode;
  const { config, store } = opened;
  try {
    if (values.list) return await list(store, maxUserId);
    const id = maxUserId as string;
    if (!values.yes) {
      printPlan(id, await store.erasure.plan(id));
      console.log(`\nЭто пробный прогон, ничего не изменено / a dry run: nothing changed. Удалить / to erase:\n  npm run bridge -- erase --max-user ${id} --yes --by "<кто запросил / who asked>"`);
      return 0;
    }
    const progress = startProgress({ label: 'удаление / erase', total: 0 });
    let seen = 0;
    const result = await store.erasure.erase(id, {
      requestedBy: values.by ?? `CLI (${process.env.USER ?? 'unknown user'})`, vacuum,
      onErased: onClientErased(hookEmitter({ store, hooks: () => config.hooks, nowMs: () => systemClock.nowMs() })),
      onProgress: (p) => {
        progress.setTotal(p.total);
        progress.advance(p.done - seen, p.stage);
        seen = p.done;
      },
    }).finally(() => progress.stop());
    printResult(result);
    if (result.freedSpace.walTruncated === false) {
      console.error('erase: строки удалены, но WAL SQLite был занят и ещё хранит старые страницы; запустите команду ещё раз / the rows are erased, but the SQLite WAL stayed busy and still holds old pages; run the command again');
      return 1;
    }
    if ((result.freedSpace.olderSnapshots ?? 0) > 0) {
      console.error(`erase: строки удалены, но ${result.freedSpace.olderSnapshots} сеанс(а) PostgreSQL с транзакцией, начатой до удаления, не закончились за ${SNAPSHOT_WAIT_MS / 1_000} с, и VACUUM мог сохранить для них старые строки; запустите команду ещё раз / the rows are erased, but ${result.freedSpace.olderSnapshots} PostgreSQL session(s) with a transaction begun before the delete did not end within ${SNAPSHOT_WAIT_MS / 1_000} s, and VACUUM may have kept the old rows for them; run the command again`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (!(err instanceof NotAClientError)) throw err;
    console.error(`erase: ${err.message}; fix: give the client's MAX user id (GET /admin/journal?client=… shows a client's rows)`);
    return 2;
  } finally {
    await store.close();
  }
}
