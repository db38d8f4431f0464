/**
 * `database.reachable` and `database.migrations`: the database answers, and its schema is the
 * one this version of the bridge has (src/store/migrations.ts against schema_migrations, the
 * same reading /ready makes: store.readiness.schemaState()). "Behind": the database lacks
 * migrations the code has (the bridge of this version has not started on it, or it is another
 * database, or a restored older copy). "Ahead": it has migrations this code does not know (a
 * newer bridge migrated it and this one is older).
 */
import { MIGRATIONS } from '../../store/migrations.ts';
import type { SchemaState } from '../../store/repos/readiness-repo.ts';
import { isStore, type DoctorContext } from '../deps.ts';
import { errorText, failed, ok, skip, words, type CheckResult } from '../result.ts';
import { withTimeLimit } from '../time-limit.ts';

const REACHABLE = 'database.reachable';
const MIGRATIONS_ID = 'database.migrations';

/** The table of applied migrations is not there: nothing ever migrated this database. */
const NO_MIGRATIONS_TABLE = /schema_migrations/i;

const LATEST = Math.max(...MIGRATIONS.map((m) => m.id));

/** What the migrations finding says about a schema state (also for tests). */
export function migrationsFinding(subject: string, s: SchemaState): CheckResult {
  const details = { applied_latest: s.appliedLatest, expected_latest: LATEST, missing: s.missing, unknown: s.unknown };
  if (s.unknown.length > 0) {
    return failed(MIGRATIONS_ID, subject,
      words(`База данных впереди этой версии моста: в ней есть миграции ${s.unknown.join(', ')}, которых эта версия не знает (базу обновила более новая версия моста; эта, старая, может работать с ней неверно).`,
        `The database is ahead of this version of the bridge: it has migration(s) ${s.unknown.join(', ')} this version does not know (a newer bridge migrated it; this older one may handle it wrongly).`),
      words('Запустите ту версию моста, что обновила базу: все процессы — одной, новой версии. Откатить схему нельзя; вернуться на старую версию можно только с резервной копией базы, снятой до обновления.',
        'Run the version that migrated the database: every process on the same, newer version. The schema cannot be rolled back; going back to the older version takes the backup made before the upgrade.'),
      details);
  }
  if (s.missing.length > 0) {
    return failed(MIGRATIONS_ID, subject,
      words(`База данных отстаёт от этой версии моста: не применены миграции ${s.missing.join(', ')} (в базе — по ${s.appliedLatest}, эта версия ждёт ${LATEST}). Мост применяет их при запуске: с этой базой он этой версии ещё не запускался, или это другая база, или копия, восстановленная из старой резервной.`,
        `The database is behind this version of the bridge: migration(s) ${s.missing.join(', ')} are not applied (it is at ${s.appliedLatest}, this version expects ${LATEST}). The bridge applies them at start: it has not started on this database in this version, or this is another database, or an older backup restored.`),
      words('Снимите резервную копию базы и запустите (перезапустите) мост этой версии: миграции применятся один раз, при запуске (с несколькими процессами — одним из них, остальные подождут). Проверьте, что DATABASE_URL указывает на ту базу.',
        'Back the database up, then start (restart) the bridge of this version: the migrations run once, at start (with several processes, by one of them while the others wait). Check that DATABASE_URL names the right database.'),
      details);
  }
  return ok(MIGRATIONS_ID, subject, words(`Схема базы данных — та, что нужна этой версии моста (миграции 1–${s.appliedLatest}).`, `The database schema is the one this version needs (migrations 1–${s.appliedLatest}).`), details);
}

/** The database as the results name it: never its password. */
export function databaseSubject(databaseUrl: string): string {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return `SQLite ${databaseUrl}`;
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export async function databaseChecks(ctx: DoctorContext): Promise<CheckResult[]> {
  const subject = databaseSubject(ctx.config.database.url);
  if (!isStore(ctx.store)) {
    return [
      failed(REACHABLE, subject, ctx.store.problem, ctx.store.fix),
      skip(MIGRATIONS_ID, subject, words('Не проверено: база данных недоступна.', 'Not checked: the database is unavailable.')),
    ];
  }
  let state: SchemaState;
  try {
    state = await withTimeLimit(ctx.store.readiness.schemaState(), ctx.timeoutMs, 'the database');
  } catch (err) {
    if (NO_MIGRATIONS_TABLE.test(errorText(err))) {
      return [
        ok(REACHABLE, subject, words('База данных отвечает.', 'The database answers.'), { engine: ctx.store.engine }),
        failed(MIGRATIONS_ID, subject,
          words('База данных пуста: мост с ней ещё не запускался (таблиц моста в ней нет).', 'The database is empty: the bridge has never started on it (none of its tables are there).'),
          words('Запустите мост: при первом запуске он создаст таблицы. Если мост уже работал — проверьте DATABASE_URL: он указывает не на ту базу.',
            'Start the bridge: it creates its tables at the first start. If it ran before, check DATABASE_URL: it names another database.'),
          { engine: ctx.store.engine, expected_latest: LATEST }),
      ];
    }
    return [
      failed(REACHABLE, subject, words(`База данных не отвечает: ${errorText(err)}`, `The database does not answer: ${errorText(err)}`),
        words('Проверьте, что сервер базы данных запущен и доступен с этой машины, и DATABASE_URL (адрес, порт, имя базы, пользователь, пароль); для SQLite — путь к файлу и права на него.',
          'Check that the database server is running and reachable from this machine, and DATABASE_URL (host, port, database, user, password); for SQLite, the file\'s path and permissions.'),
        { engine: ctx.store.engine }),
      skip(MIGRATIONS_ID, subject, words('Не проверено: база данных не отвечает.', 'Not checked: the database does not answer.')),
    ];
  }
  return [ok(REACHABLE, subject, words('База данных отвечает.', 'The database answers.'), { engine: ctx.store.engine }), migrationsFinding(subject, state)];
}
