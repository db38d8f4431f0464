/**
 * `config`: the configuration as the bridge loads it (CONFIG_FILE and the environment,
 * src/config/load.ts) — the same check as `npm run bridge -- check-config`.
 */
import type { LoadResult } from '../../config/load.ts';
import { failed, ok, warned, words, type CheckResult } from '../result.ts';

const ID = 'config';

/** Where the configuration came from, as the results name it. */
export function configSubject(configFile: string | null | undefined): string {
  return configFile ? `CONFIG_FILE ${configFile}` : 'environment';
}

export function configCheck(loaded: LoadResult, configFile: string | null | undefined): CheckResult[] {
  const subject = configSubject(configFile);
  if (!loaded.ok) {
    return [failed(ID, subject,
      words(`Конфигурация содержит ошибки (${loaded.errors.length}): ${loaded.errors.join('; ')}`, `The configuration has ${loaded.errors.length} error(s): ${loaded.errors.join('; ')}`),
      words('Исправьте ключи, названные в ошибках (у каждой — что сделать); все ключи и переменные — docs/configuration.md и config/example.yaml. Мост с этой конфигурацией не запустится, а работающий не примет её при перезагрузке (SIGHUP).',
        'Fix the keys the errors name (each says how); every key and variable: docs/configuration.md and config/example.yaml. The bridge will not start with it, and a running one refuses it on a reload (SIGHUP).'),
      { errors: loaded.errors })];
  }
  const { config, mode } = loaded;
  const results: CheckResult[] = [ok(ID, subject, mode === 'sandbox'
    ? words('Ничего не настроено: песочница (эмуляторы MAX и Битрикс24).', 'Nothing configured: the sandbox (MAX and Bitrix24 emulators).')
    : words(`Конфигурация в порядке: ботов ${config.bots.length}, порталов ${config.portals.length}, маршрутов ${config.routes.length}.`,
      `The configuration is valid: ${config.bots.length} bot(s), ${config.portals.length} portal(s), ${config.routes.length} route(s).`),
  { mode, bots: config.bots.length, portals: config.portals.length, routes: config.routes.length })];
  if (loaded.warnings.length > 0) {
    results.push(warned(`${ID}.warnings`, subject,
      words(`Предупреждения: ${loaded.warnings.join('; ')}`, `Warnings: ${loaded.warnings.join('; ')}`),
      words('Уберите лишние переменные или исправьте их имена (подсказка — в предупреждении).', 'Remove the stray variables or fix their names (the warning suggests the right one).'),
      { warnings: loaded.warnings }));
  }
  return results;
}

/**
 * The running bridge's configuration (the admin UI runs the doctor in the bridge): the sandbox;
 * or the configuration read again from CONFIG_FILE and the environment — what a reload (SIGHUP)
 * or a restart would take — when the bridge knows where it came from; else the one in force,
 * valid since it was loaded.
 */
export function configInForceCheck(mode: 'sandbox' | 'production', reread: (() => LoadResult) | null, configFile: string | null): CheckResult[] {
  if (mode === 'sandbox') return [ok(ID, 'sandbox', words('Ничего не настроено: песочница (эмуляторы MAX и Битрикс24).', 'Nothing configured: the sandbox (MAX and Bitrix24 emulators).'), { mode })];
  if (!reread) return [ok(ID, 'in force', words('Конфигурация, с которой работает мост, проверена при загрузке.', 'The configuration the bridge runs with was checked when it was loaded.'), { mode })];
  const loaded = reread();
  if (loaded.ok) return configCheck(loaded, configFile);
  const [finding] = configCheck(loaded, configFile);
  return [{
    ...finding!,
    problem: words(`${finding!.problem.ru} Работающий мост держит прежнюю конфигурацию, но перезагрузка (SIGHUP) или перезапуск с этой не пройдут.`,
      `${finding!.problem.en} The running bridge keeps the configuration it loaded, but a reload (SIGHUP) or a restart with this one will fail.`),
  }];
}
