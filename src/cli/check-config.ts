/**
 * `npm run check-config`: validates the configuration exactly as `npm start`
 * would and prints every problem (exit 1), or «Конфигурация в порядке» (exit 0).
 */
import { formatConfigErrors, formatConfigWarnings, loadConfigFromProcess } from '../config/load-from-process.ts';

const result = loadConfigFromProcess();
if (result.warnings.length > 0) console.error(formatConfigWarnings(result.warnings));
if (!result.ok) {
  console.error(formatConfigErrors(result.errors));
  process.exit(1);
}
const { config, mode } = result;
const summary = mode === 'sandbox'
  ? 'песочница: эмуляторы MAX и Битрикс24 / sandbox: MAX and Bitrix24 emulators'
  : `рабочий режим: ботов ${config.bots.length}, порталов ${config.portals.length}, маршрутов ${config.routes.length} / production: ${config.bots.length} bot(s), ${config.portals.length} portal(s), ${config.routes.length} route(s)`;
console.log(`Конфигурация в порядке (${summary}). Configuration OK.`);
