/**
 * `npm run bridge -- rotate-key [--dry-run]`: seals every stored token and secret again
 * under the current BRIDGE_SECRET_KEY (src/store/secret-rotation.ts), reading the old
 * ones with BRIDGE_SECRET_KEY_PREVIOUS. Step 2 of changing the key without downtime
 * (docs/operations.md, "Rotating BRIDGE_SECRET_KEY"); safe while bridges run.
 * The store and keys are the configuration's (DATABASE_URL / CONFIG_FILE), as the bridge reads them.
 *
 * Exit 0: nothing is left under an old key (a dry run: no value fails); 1: some value no
 * key opens, or left under an old key; 2: bad usage or a configuration error.
 * Only key ids are printed (src/store/crypto-box.ts), never keys or values.
 */
import { dryRunArgsExit } from './dry-run-args.ts';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { systemClock } from '../domain/clock.ts';
import { openStore } from '../store/open-store.ts';
import { rotateSealedSecrets, type RotationReport } from '../store/secret-rotation.ts';

export const ROTATE_KEY_USAGE = [
  'Использование / usage: npm run bridge -- rotate-key [--dry-run]',
  '',
  'Зашифровать все сохранённые токены и секреты заново текущим ключом BRIDGE_SECRET_KEY;',
  'прежние ключи берутся из BRIDGE_SECRET_KEY_PREVIOUS (через запятую). Можно при работающем мосте.',
  'Порядок смены ключа — docs/operations.md, «Смена ключа шифрования».',
  '  --dry-run   только посчитать, ничего не менять',
  '',
  'Re-encrypt every stored token and secret under the current BRIDGE_SECRET_KEY, reading the',
  'old ones with BRIDGE_SECRET_KEY_PREVIOUS (comma-separated). Safe while the bridge runs.',
  'The whole procedure: docs/operations.md, "Rotating BRIDGE_SECRET_KEY".',
  '  --dry-run   count only, change nothing',
  '',
  'Exit 0: nothing left under old keys; 1: values no key opens or still under old keys; 2: usage or configuration.',
].join('\n');


function failureLines(report: RotationReport): string[] {
  if (report.failed.length === 0) return [];
  return [
    `Не удалось расшифровать ни одним ключом (${report.failed.length}) / no key opens these (${report.failed.length}):`,
    ...report.failed.map((f) => `  ${f.table} ${f.id} ${f.column} ${f.code}`),
    'Исправление: добавьте ключ, которым они зашифрованы, в BRIDGE_SECRET_KEY_PREVIOUS (через запятую) и запустите снова;',
    'если такого ключа нет — переустановите приложение на портале (portals) или перезапустите мост с токеном бота (bots), затем снова rotate-key.',
    'Fix: add the key they were sealed with to BRIDGE_SECRET_KEY_PREVIOUS (comma-separated) and run again; if that key is gone,',
    're-install the app on that portal (portals) or restart the bridge with the bot\'s token configured (bots), then run rotate-key again.',
  ];
}

/** What stdout says (counts) and what stderr says (what failed and the fix). */
function summary(report: RotationReport, dryRun: boolean, hasPrevious: boolean): { out: string[]; err: string[] } {
  const [current, ...previous] = report.keyIds;
  const out = [
    `Текущий ключ: ${current ?? ''}; прежние: ${previous.length > 0 ? previous.join(', ') : 'нет'}. / Current key id ${current ?? ''}; previous: ${previous.length > 0 ? previous.join(', ') : 'none'}.`,
  ];
  if (!hasPrevious) {
    out.push('BRIDGE_SECRET_KEY_PREVIOUS не задан: заново шифруется только то, что открывает текущий ключ. / BRIDGE_SECRET_KEY_PREVIOUS is not set: only values the current key opens are re-encrypted.');
  }
  const err = failureLines(report);
  if (dryRun) {
    out.push(
      'Пробный прогон, ничего не изменено. / Dry run, nothing was changed.',
      `Будет зашифровано заново: ${report.resealed}; уже под текущим ключом: ${report.alreadyCurrent}; не удастся: ${report.failed.length}.`,
      `Would re-encrypt: ${report.resealed}; already current: ${report.alreadyCurrent}; would fail: ${report.failed.length}.`,
    );
    return { out, err };
  }
  out.push(
    `Зашифровано заново: ${report.resealed}; уже под текущим ключом: ${report.alreadyCurrent}; не удалось: ${report.failed.length}; переписано работающим мостом во время прохода: ${report.changedMeanwhile}.`,
    `Re-encrypted: ${report.resealed}; already current: ${report.alreadyCurrent}; failed: ${report.failed.length}; rewritten by a running bridge meanwhile: ${report.changedMeanwhile}.`,
    `Под старыми ключами осталось: ${report.leftUnderOldKeys}. / Left under old keys: ${report.leftUnderOldKeys}.`,
  );
  if (report.leftUnderOldKeys === 0) {
    out.push(
      'Теперь уберите BRIDGE_SECRET_KEY_PREVIOUS и перезапустите процессы по одному.',
      'Now remove BRIDGE_SECRET_KEY_PREVIOUS and restart the processes one at a time.',
    );
  } else if (report.failed.length === 0) {
    // Rewritten meanwhile under an old key: some process still runs with the old key alone.
    err.push(
      'Не убирайте BRIDGE_SECRET_KEY_PREVIOUS: какой-то процесс ещё работает только со старым ключом; перезапустите его с обоими ключами и запустите rotate-key снова.',
      'Keep BRIDGE_SECRET_KEY_PREVIOUS: some process still runs with the old key alone; restart it with both keys and run rotate-key again.',
    );
  }
  return { out, err };
}

export async function rotateKey(args: string[]): Promise<number> {
  const exit = dryRunArgsExit('rotate-key', args, ROTATE_KEY_USAGE);
  if (exit !== null) return exit;
  const dryRun = args.includes('--dry-run');
  const loaded = loadConfigFromProcess();
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return 2;
  }
  const { security, database } = loaded.config;
  if (!security.secret_key) {
    console.error('rotate-key: BRIDGE_SECRET_KEY не задан / is not set; fix: set it to the new key (the one the bridge now runs with) and BRIDGE_SECRET_KEY_PREVIOUS to the old one');
    return 2;
  }
  const previousSecretKeys = security.previous_secret_keys ?? [];
  const store = await openStore({ databaseUrl: database.url, secretKey: security.secret_key, previousSecretKeys, clock: systemClock });
  try {
    const report = await rotateSealedSecrets(store, { dryRun });
    const { out, err } = summary(report, dryRun, previousSecretKeys.length > 0);
    console.log(out.join('\n'));
    if (err.length > 0) console.error(err.join('\n'));
    return report.failed.length === 0 && (dryRun || report.leftUnderOldKeys === 0) ? 0 : 1;
  } finally {
    await store.close();
  }
}
