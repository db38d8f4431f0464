/**
 * `npm run bridge -- route move <conversation id> <route>`: moves a conversation to
 * another route now (src/bridge/conversation-move.ts). It queues the move in the
 * store named by the configuration (DATABASE_URL / CONFIG_FILE, with BRIDGE_SECRET_KEY);
 * the running bridge carries it out between the conversation's messages, and both
 * lines get a note. The route must be one of the configuration's; the conversation
 * must exist (its id is `<bot id>:<MAX chat id>`, as the admin API and the journal show it).
 *
 * Exit 0: queued; 1: no such conversation; 2: bad usage or a configuration error.
 */
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { nearestName } from '../config/nearest-name.ts';
import { normalizeRoutes } from '../config/route-schema.ts';
import { systemClock } from '../domain/clock.ts';
import { parseConversationId } from '../domain/ids.ts';
import { CONVERSATION_MOVE_JOB, conversationQueue } from '../queue/job-kinds.ts';
import { openStore } from '../store/open-store.ts';

export const ROUTE_MOVE_USAGE = 'Использование / usage: npm run bridge -- route move <conversation id, e.g. sales:90000001> <route name>';

export async function routeMove(args: string[]): Promise<number> {
  const [conversation, route, ...extra] = args;
  if (conversation === undefined || route === undefined || extra.length > 0) {
    console.error(`route move: нужны id диалога и имя маршрута / a conversation id and a route name are needed\n${ROUTE_MOVE_USAGE}`);
    return 2;
  }
  const id = parseConversationId(conversation);
  if (id === null) {
    console.error(`route move: "${conversation}" не id диалога / is not a conversation id; fix: write <bot id>:<MAX chat id>, e.g. sales:90000001`);
    return 2;
  }
  const loaded = loadConfigFromProcess();
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return 2;
  }
  const names = normalizeRoutes(loaded.config.routes).map((r) => r.name);
  if (!names.includes(route)) {
    const near = nearestName(route, names);
    console.error(`route move: маршрута «${route}» нет / there is no route "${route}"; fix: ${near ? `did you mean "${near}"? ` : ''}use one of ${names.join(', ')}`);
    return 2;
  }
  const secretKey = loaded.config.security.secret_key ?? process.env.BRIDGE_SECRET_KEY;
  if (!secretKey) {
    console.error('route move: BRIDGE_SECRET_KEY is not set (the same key the bridge runs with)');
    return 2;
  }
  const store = await openStore({ databaseUrl: loaded.config.database.url, secretKey, clock: systemClock });
  try {
    if (!(await store.conversations.get(id))) {
      console.error(`route move: диалога ${id} нет / no conversation ${id}; fix: take the id from GET /admin/conversations/<id> or the log`);
      return 1;
    }
    const jobId = await store.jobs.enqueue({ kind: CONVERSATION_MOVE_JOB, conversationKey: conversationQueue(id), payload: { conversationId: id, route, by: 'cli' } });
    console.log(`Перевод диалога ${id} на маршрут «${route}» поставлен в очередь (задание ${jobId}); мост выполнит его между сообщениями диалога.`);
    console.log(`Moving ${id} to route "${route}" is queued (job ${jobId}); the running bridge carries it out between the conversation's messages.`);
    return 0;
  } finally {
    await store.close();
  }
}
