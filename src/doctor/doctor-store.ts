/**
 * The store as `doctor` opens it outside the bridge: the same database and key the bridge
 * runs with, without migrating (the doctor reports a schema behind or ahead, it does not
 * change it), with a small pool. A SQLite file that does not exist is not created: the bridge
 * has never run with this database.url, and that is the finding.
 */
import { existsSync } from 'node:fs';
import type { BridgeConfigData } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import { engineOf } from '../store/db.ts';
import { openStore, type Store } from '../store/open-store.ts';
import type { StoreUnavailable } from './deps.ts';
import { errorText, words } from './result.ts';

export async function openDoctorStore(config: BridgeConfigData, secretKey: string, clock: Clock): Promise<Store | StoreUnavailable> {
  const url = config.database.url;
  if (engineOf(url) === 'sqlite') {
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    if (file !== ':memory:' && !existsSync(file)) {
      return {
        problem: words(`Файла базы данных ${file} нет: мост с этим database.url ещё не запускался (или запущен в другой папке).`, `The database file ${file} does not exist: the bridge has not run with this database.url (or runs in another directory).`),
        fix: words('Запустите мост (он создаст базу) или укажите в DATABASE_URL путь к его базе; относительный путь считается от папки, из которой запущен мост.',
          'Start the bridge (it creates the database) or point DATABASE_URL at its database; a relative path is taken from the directory the bridge runs in.'),
      };
    }
  }
  try {
    return await openStore({ databaseUrl: url, secretKey, previousSecretKeys: config.security.previous_secret_keys, clock, poolSize: 2, migrate: false });
  } catch (err) {
    return {
      problem: words(`База данных не открывается: ${errorText(err)}`, `The database cannot be opened: ${errorText(err)}`),
      fix: words('Проверьте DATABASE_URL (адрес, порт, имя базы, пользователь, пароль) и права на файл базы SQLite.', 'Check DATABASE_URL (host, port, database, user, password) and the permissions of the SQLite file.'),
    };
  }
}
