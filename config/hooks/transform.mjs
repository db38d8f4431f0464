// Пример хука преобразования маршрута / Example transform hook of a route.
//
// Подключается ключом routes[].transform.module (config/example.yaml: маршрут default,
// `module: ./hooks/transform.mjs`, путь от папки файла настроек). / Enabled by the route key
// transform.module; the path is relative to the configuration file's folder.
//
// Правила / Rules (docs/configuration.md, «Преобразования / Transforms»):
// - модуль экспортирует transformInbound (клиент в MAX → оператор в линии) и/или
//   transformOutbound (оператор → клиент); не экспортированная функция = без изменений.
//   / Export transformInbound (client → operator) and/or transformOutbound (operator → client).
// - вернуть сообщение { text, attachments } — передать его; null — не передавать.
//   / Return the message to carry it, null to drop it.
// - функция получает копию: менять аргумент бесполезно, важен только возвращённый объект.
//   / It gets a copy: only what it returns counts.
// - код выполняется в рабочем потоке с ограничением по времени; исключение или зависание
//   оставляют сообщение как было. Изменения файла действуют после перезапуска моста.
//   / It runs in a worker thread with a time limit; a throw or a hang leaves the message as it
//   was. A changed file takes effect when the bridge restarts.
// Типы / types: src/domain/transform/transform-message.ts (TransformMessage, TransformContext).

/** Only "test" / "тест" (any case, with spaces or a dot): what people send to try the bot. */
const ONLY_TEST = /^\s*(test|тест)\s*\.?\s*$/i;
/** «заказ 12345», «Заказ №1234567», "order 12345": an order number of 4 to 12 digits. */
const ORDER_NUMBER = /(?:заказ|order)\s*(?:№|#|n)?\s*(\d{4,12})/i;

/**
 * Client → operator. The text is MAX markdown (the bridge converts it after the hooks).
 * @param {{ text: string, attachments: Array<{ type: string, name: string | null, sizeBytes: number | null, url: string | null, ref?: string }> }} message
 * @param {{ direction: 'inbound', route: string, botId: string, portalId: string, lineId: number, conversationId: string,
 *   client: { name: string | null, maxUserId: string | null, profileUrl: string | null, language: string | null },
 *   source: { startPayload: string | null } }} context
 * @returns {typeof message | null}
 */
export function transformInbound(message, context) {
  // A trial message with nothing attached never reaches the operators.
  if (message.attachments.length === 0 && ONLY_TEST.test(message.text)) return null;
  // Adds nothing unless the client named an order: then the number stands out on a line of its own.
  const order = ORDER_NUMBER.exec(message.text);
  if (order === null) return message;
  return { ...message, text: `${message.text}\n\n**Заказ № ${order[1]}** (маршрут ${context.route})` };
}

/** What an operator types instead of the full answer (lower case, without spaces). */
const SHORTCUTS = new Map([
  ['/часы', 'Мы работаем с понедельника по пятницу с 9:00 до 18:00 по московскому времени.'],
  ['/адрес', 'Наш адрес: Москва, ул. Примерная, д. 1. Вход со двора.'],
]);

/**
 * Operator → client. The text is Bitrix24 BB-code (the bridge converts it after the hooks).
 * @param {{ text: string, attachments: Array<{ type: string, name: string | null, sizeBytes: number | null, url: string | null, ref?: string }> }} message
 * @param {{ direction: 'outbound', route: string }} _context
 * @returns {typeof message | null}
 */
export function transformOutbound(message, _context) {
  // Adds nothing unless the whole reply is a shortcut such as "/часы".
  const answer = SHORTCUTS.get(message.text.trim().toLowerCase());
  return answer === undefined ? message : { ...message, text: answer };
}
