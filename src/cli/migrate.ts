/**
 * `npm run bridge -- migrate [--dry-run]`: lists the migrations this version would apply to
 * the configured database (DATABASE_URL / CONFIG_FILE, as the bridge reads them) and applies
 * them, once, under the same lock as a starting bridge (src/store/migrations.ts). An upgrade
 * runs it once, after the backup and before starting the new version's processes
 * (docs/deployment.md, "Upgrading"); a starting bridge would apply them itself as well.
 * With --dry-run it only lists them (and creates no SQLite file that is not there yet).
 *
 * Exit 0: the database is current (a dry run: it was read); 1: the migrations failed, or the
 * database was migrated by a newer version; 2: bad usage or a configuration error.
 * Never prints a password: PostgreSQL is named by host and database only.
 */
import { dryRunArgsExit } from './dry-run-args.ts';
import { existsSync } from 'node:fs';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { systemClock } from '../domain/clock.ts';
import { engineOf, openDatabase, type Engine } from '../store/db.ts';
import { backupReminder, idRange, readMigrationPlan, type MigrationPlan } from '../store/migration-plan.ts';
import { MIGRATIONS, migrate } from '../store/migrations.ts';

export const MIGRATE_USAGE = [
  'Использование / usage: npm run bridge -- migrate [--dry-run]',
  '',
  'Показать миграции схемы базы, которые применит эта версия, и применить их — один раз, одним процессом,',
  'до запуска процессов новой версии. Сначала — резервная копия (docs/deployment.md, «Обновление»).',
  'Запущенный мост применяет их и сам; блокировка не даёт двум процессам применить их дважды.',
  '  --dry-run   только показать, ничего не менять',
  '',
  'List the schema migrations this version would apply to the database, and apply them — once, by one',
  'process, before starting the new version\'s processes. Back up first (docs/deployment.md, "Upgrading").',
  'A starting bridge applies them too; a lock keeps two processes from applying them twice.',
  '  --dry-run   list only, change nothing',
  '',
  'Exit 0: the database is current (or was read); 1: the migrations failed, or a newer version migrated the database; 2: usage or configuration.',
].join('\n');


function sqliteFile(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/, '');
}

/** Where the database is, without its password. */
function describeDatabase(url: string, engine: Engine): string {
  if (engine === 'sqlite') return `SQLite ${sqliteFile(url)}`;
  const u = new URL(url);
  return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
}

function planLines(plan: MigrationPlan): string[] {
  const lines = [`Применены / applied: ${plan.applied.length === 0 ? 'нет (новая база) / none (a new database)' : idRange(plan.applied)}`];
  if (plan.pending.length === 0) {
    return plan.unknown.length > 0 ? lines : [...lines, 'Применять нечего: схема актуальна. / Nothing to apply: the schema is current.'];
  }
  return [
    ...lines,
    `Будут применены (${plan.pending.length}) / to apply (${plan.pending.length}):`,
    ...plan.pending.map((m) => `  ${String(m.id).padStart(3)}  ${m.name}`),
  ];
}

function newerVersionLines(plan: MigrationPlan): string[] {
  return [
    `migrate: база обновлена более новой версией моста (миграции ${idRange(plan.unknown)} этой версии неизвестны); исправление: запустите новую версию или восстановите резервную копию, сделанную до того обновления.`,
    `migrate: a newer version of the bridge migrated this database (migrations ${idRange(plan.unknown)} are unknown to this version); fix: run the newer version, or restore the backup taken before that upgrade.`,
  ];
}

export async function migrateCommand(args: string[]): Promise<number> {
  const exit = dryRunArgsExit('migrate', args, MIGRATE_USAGE);
  if (exit !== null) return exit;
  const dryRun = args.includes('--dry-run');
  const loaded = loadConfigFromProcess();
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return 2;
  }
  const url = loaded.config.database.url;
  const engine = engineOf(url);
  console.log(`База / database: ${describeDatabase(url, engine)}; миграций в этой версии / migrations in this version: ${MIGRATIONS.length}`);
  if (dryRun && engine === 'sqlite' && !existsSync(sqliteFile(url))) {
    console.log(`Файла базы ещё нет: все ${MIGRATIONS.length} миграций будут применены при первом запуске. / The database file does not exist yet: all ${MIGRATIONS.length} migrations run at the first start.`);
    return 0;
  }
  const opened = openDatabase(url, { poolSize: 1 });
  try {
    const plan = await readMigrationPlan(opened.db, engine);
    console.log(planLines(plan).join('\n'));
    if (plan.unknown.length > 0) {
      console.error(newerVersionLines(plan).join('\n'));
      return 1;
    }
    const reminder = backupReminder(plan, engine);
    if (reminder !== null) console.log(reminder);
    if (dryRun) {
      console.log('Пробный прогон, ничего не изменено. / Dry run, nothing was changed.');
      return 0;
    }
    if (plan.pending.length === 0) return 0;
    let applied: number;
    try {
      applied = await migrate(opened.db, engine, systemClock.nowMs());
    } catch (err) {
      // Each migration runs in the one transaction: a failure leaves the schema as it was.
      console.error(`migrate: миграции не применены / the migrations failed: ${err instanceof Error ? err.message : String(err)}; fix: the schema is unchanged — correct the cause (disk space, the database user's rights) and run migrate again, or restore the backup`);
      return 1;
    }
    const after = await readMigrationPlan(opened.db, engine);
    // Another process may have applied some meanwhile (it held the lock first): the result is what counts.
    console.log(`Применено этим запуском / applied by this run: ${applied}; последняя миграция / latest: ${after.applied.at(-1) ?? 0}. `
      + `${after.pending.length === 0 ? 'Схема актуальна. / The schema is current.' : `Осталось / left: ${idRange(after.pending.map((m) => m.id))}`}`);
    return after.pending.length === 0 ? 0 : 1;
  } finally {
    await opened.close();
  }
}
