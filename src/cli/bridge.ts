/**
 * `npm run bridge -- <command> [arguments]`: one entry point for the bridge's commands.
 * The older commands are the same files their own npm scripts run (`npm run check-config`,
 * `npm run dead-letters`, …), unchanged: each runs at import, reading process.argv, so
 * the dispatch sets argv as if that file had been started, then imports it, in this
 * process (signals, exit codes and output are the command's own).
 *
 * `start` runs src/cli/start.ts from the sources (tsx), as this entry point does;
 * `npm start` bundles it first. `sandbox` is `start` with the variables that select the
 * production mode ignored. `route explain` is src/cli/route-explain.ts.
 */
import { fileURLToPath } from 'node:url';
import { nearestName } from '../config/nearest-name.ts';

interface Command {
  name: string;
  /** How the listing shows it: the name, and a hint of its arguments. */
  short: string;
  /** The arguments after the name, as the command's --help shows them. */
  args: string;
  /** One line, Russian / English. */
  summary: string;
  run(args: string[]): Promise<number | void>;
}

/** Variables that make `start` run for real (src/config/load.ts, "Mode"); `sandbox` unsets them. */
const PRODUCTION_VARIABLES = ['CONFIG_FILE', 'MAX_BOT_TOKEN', 'MAX_WEBHOOK_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET'];

/** Runs a command file as if it had been started itself: `node <file> <args>`. */
async function runFile(file: string, load: () => Promise<unknown>, args: string[]): Promise<void> {
  process.argv = [process.argv[0] ?? process.execPath, fileURLToPath(new URL(file, import.meta.url)), ...args];
  await load();
}

const COMMANDS: readonly Command[] = [
  {
    name: 'start',
    short: 'start',
    args: '',
    summary: 'запустить мост; без настроек — песочница / run the bridge; the sandbox when nothing is configured',
    run: (args) => runFile('./start.ts', () => import('./start.ts'), args),
  },
  {
    name: 'check-config',
    short: 'check-config',
    args: '',
    summary: 'проверить настройки, как их прочтёт мост / validate the configuration as the bridge would load it',
    run: (args) => runFile('./check-config.ts', () => import('./check-config.ts'), args),
  },
  {
    name: 'doctor',
    short: 'doctor [--json]',
    args: '[--json] [--lang ru|en]',
    summary: 'проверить всё, от чего зависит работа (токены, сертификаты, HTTPS на 443, подписки, коннекторы, миграции, часы), и что исправить / check everything the bridge depends on, and what to fix',
    run: async (args) => (await import('./doctor.ts')).doctorCommand(args),
  },
  {
    name: 'dead-letters',
    short: 'dead-letters …',
    args: 'list | replay <id> | replay --all [--code BRG_ERR_…]',
    summary: 'недоставленные задания: показать, повторить / dead letters: list, replay',
    run: (args) => runFile('./dead-letters.ts', () => import('./dead-letters.ts'), args),
  },
  {
    name: 'emulator',
    short: 'emulator max|bitrix24 …',
    args: 'max|bitrix24 [--port N] [--host H] [--tls] [--time-factor F] [--token T]',
    summary: 'один эмулятор MAX или Битрикс24 / one emulator alone',
    run: (args) => runFile('./emulator.ts', () => import('./emulator.ts'), args),
  },
  {
    name: 'sandbox',
    short: 'sandbox',
    args: '',
    summary: 'песочница (эмуляторы и мост), даже если настроен рабочий режим / the sandbox, even when production is configured',
    run: (args) => {
      const ignored = PRODUCTION_VARIABLES.filter((name) => process.env[name] !== undefined);
      for (const name of ignored) delete process.env[name];
      if (ignored.length > 0) console.error(`sandbox: не используются / ignored: ${ignored.join(', ')}`);
      return runFile('./start.ts', () => import('./start.ts'), args);
    },
  },
  {
    name: 'route',
    short: 'route explain|move …',
    args: 'explain --bot <id> [--text "…"] [--payload "…"] … | --update <file.json>; move <conversation id> <route>',
    summary: 'куда пойдёт новый диалог и почему (ничего не отправляя); перевести диалог на маршрут / where a new conversation would go, and why (sends nothing); move a conversation to a route',
    run: async ([sub, ...rest]) => {
      const { routeExplain, ROUTE_EXPLAIN_USAGE } = await import('./route-explain.ts');
      const { routeMove, ROUTE_MOVE_USAGE } = await import('./route-move.ts');
      if (sub === 'explain') return routeExplain(rest);
      if (sub === 'move') return routeMove(rest);
      if (sub === '--help' || sub === '-h') {
        console.log(`${ROUTE_EXPLAIN_USAGE}\n\n${ROUTE_MOVE_USAGE}`);
        return 0;
      }
      const near = sub === undefined ? undefined : nearestName(sub, ['explain', 'move']);
      console.error(`route: ${sub === undefined ? 'which subcommand?' : `unknown subcommand "${sub}"`}; fix: ${near ? `did you mean "route ${near}"?` : 'write npm run bridge -- route explain … or route move …'}\n\n${ROUTE_EXPLAIN_USAGE}\n\n${ROUTE_MOVE_USAGE}`);
      return 2;
    },
  },
  {
    name: 'journal',
    short: 'journal search|export …',
    args: 'search [filters] [--json] | export <conversation id> [--format html|json] [--out <file>] [--lang ru|en]',
    summary: 'журнал обменов: поиск по клиенту, чату, диалогу, порталу, линии, времени, статусу, коду; путь диалога для спора (HTML, JSON) / the journal: search; one conversation\'s trail for a dispute',
    run: async (args) => (await import('./journal.ts')).journalCommand(args),
  },
  {
    name: 'rotate-key',
    short: 'rotate-key [--dry-run]',
    args: '[--dry-run]',
    summary: 'зашифровать токены заново новым BRIDGE_SECRET_KEY (старый — в BRIDGE_SECRET_KEY_PREVIOUS) / re-encrypt stored tokens under a new BRIDGE_SECRET_KEY (the old one in BRIDGE_SECRET_KEY_PREVIOUS)',
    run: async (args) => (await import('./rotate-key.ts')).rotateKey(args),
  },
  {
    name: 'erase',
    short: 'erase --max-user <id>',
    args: '--max-user <MAX user id> [--yes] [--by <who asked>] [--vacuum full|plain] | --list [--max-user <id>]',
    summary: 'удалить все данные одного клиента (152-ФЗ): сначала пробный прогон, затем --yes / erase one client\'s data (152-ФЗ): a dry run first, then --yes',
    run: async (args) => (await import('./erase.ts')).eraseCommand(args),
  },
  {
    name: 'hooks',
    short: 'hooks webhooks|deliveries …',
    args: 'webhooks [--json] | deliveries [--webhook <name>] [--state pending|delivered|failed] [--conversation <id>] [--type <event>] [--limit N] [--before <id>] [--json]',
    summary: 'вебхуки и журнал их доставок / the webhooks and their delivery log',
    run: async (args) => (await import('./hooks.ts')).hooksCommand(args),
  },
  {
    name: 'checks',
    short: 'checks gates|verdicts|release|block …',
    args: 'gates | verdicts <conversation id> | release <conversation id> [--note "…"] | block <conversation id> [--note "…"] [--json]',
    summary: 'проверки (hooks.checks): задержанные и заблокированные диалоги, вердикты; пропустить или заблокировать диалог / checks: held and blocked conversations, verdicts; release or block one',
    run: async (args) => (await import('./checks.ts')).checksCommand(args),
  },
  {
    name: 'export',
    short: 'export <kind>|views …',
    args: 'messages|conversations|journal --from <time> [--to <time>] [--format ndjson|csv] [--out <file>] [--bom] [--json] | views [--sql]',
    summary: 'выгрузка для хранилища данных (NDJSON, CSV) за период; SQL-представления для BI / exports for a DWH (NDJSON, CSV) of a time range; SQL views for BI tools',
    run: async (args) => (await import('./export.ts')).exportCommand(args),
  },
  {
    name: 'user',
    short: 'user add|list|passwd|remove|unlock …',
    args: 'add <name> --role admin|viewer [--password-stdin] | list [--json] | passwd <name> [--password-stdin] | remove <name> | unlock <name>',
    summary: 'пользователи веб-интерфейса /admin/ (роли admin, viewer), снять блокировку входа / the /admin/ web UI\'s users (roles admin, viewer), lift a login lock',
    run: async (args) => (await import('./user.ts')).userCommand(args),
  },
  {
    name: 'report',
    short: 'report [--by …]',
    args: '[--period today|7d|30d] [--from <time>] [--to <time>] [--by bot|portal|line|operator|route|source|day|hour] [--json] [--lang ru|en]',
    summary: 'аналитика: время первого ответа и ответа (медиана, p90), объёмы, без ответа, нарушения SLA / analytics: first response and response times, volumes, unanswered, SLA breaches',
    run: async (args) => (await import('./report.ts')).reportCommand(args),
  },
  {
    name: 'purge',
    short: 'purge [--dry-run]',
    args: '[--dry-run]',
    summary: 'удалить данные старше срока хранения (то же делает работающий мост); --dry-run — только посчитать / delete what is older than its retention (as the running bridge does); --dry-run counts only',
    run: async (args) => (await import('./purge.ts')).purgeCommand(args),
  },
  {
    name: 'migrate',
    short: 'migrate [--dry-run]',
    args: '[--dry-run]',
    summary: 'применить миграции схемы базы один раз перед запуском новой версии (сначала резервная копия); --dry-run — только показать / apply the schema migrations once before starting a new version (back up first); --dry-run lists them',
    run: async (args) => (await import('./migrate.ts')).migrateCommand(args),
  },
];

/** Commands that answer --help themselves (a fuller usage than the listing's line). */
const OWN_HELP = ['doctor', 'route', 'rotate-key', 'journal', 'erase', 'purge', 'hooks', 'export', 'checks', 'report', 'user', 'migrate'];

const HELP = ['--help', '-h', 'help'];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.short.length)) + 2;
  return [
    'Использование / usage: npm run bridge -- <команда / command> [аргументы / arguments]',
    '',
    ...COMMANDS.map((c) => `  ${c.short.padEnd(width)}${c.summary}`),
    '',
    'Подробнее о команде / a command\'s usage: npm run bridge -- <command> --help',
  ].join('\n');
}

async function main(argv: string[]): Promise<number | void> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (HELP.includes(name)) {
    console.log(usage());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const near = nearestName(name, COMMANDS.map((c) => c.name));
    console.error(`bridge: unknown command "${name}"; fix: ${near ? `did you mean "${near}"?` : 'use one of the commands below'}\n\n${usage()}`);
    return 2;
  }
  // The older commands have no --help of their own: answer it here rather than start one.
  if (!OWN_HELP.includes(command.name) && args.some((arg) => HELP.slice(0, 2).includes(arg))) {
    console.log(`npm run bridge -- ${command.name}${command.args ? ` ${command.args}` : ''}\n  ${command.summary}`);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  // A command that runs at import sets its own exit code (or keeps serving); only ours end here.
  (code) => {
    if (typeof code === 'number') process.exit(code);
  },
  (err: unknown) => {
    console.error(`bridge: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
