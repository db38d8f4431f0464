/** `npm run check-config`: validates the configuration and prints every problem, or «Конфигурация в порядке». */
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';

const result = loadConfigFromProcess();
if (!result.ok) {
  console.error(formatConfigErrors(result.errors));
  process.exit(1);
}
console.log(`Конфигурация в порядке (${result.mode === 'sandbox' ? 'песочница' : 'рабочий режим'}). Configuration OK (${result.mode}).`);
