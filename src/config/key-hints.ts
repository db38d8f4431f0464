/**
 * How to fix each key, appended to its validation error. Keyed by the key path
 * with list positions written as `[]` (bots[].token). A unit test checks that
 * every key of the schema has a hint, so no error ends without a fix.
 */
export const KEY_HINTS: Readonly<Record<string, string>> = {
  server: 'a section with host, port, public_url, body_limit_bytes',
  'server.host': 'the address to listen on: 0.0.0.0 (all interfaces, default) or 127.0.0.1 behind a local reverse proxy',
  'server.port': 'a TCP port from 1 to 65535, e.g. PORT=3000',
  'server.public_url': 'the https:// address MAX and Bitrix24 reach the bridge at, e.g. https://bridge.example.ru',
  'server.body_limit_bytes': 'a size in bytes from 1024 to 16777216; the default 1048576 (1 MiB) fits every MAX update and Bitrix24 event',
  database: 'a section with url',
  'database.url': `a SQLite file path (default .data/bridge.sqlite) or postgres://user:password@host:5432/db`,
  security: 'a section with secret_key, admin_token and metrics_token',
  'security.secret_key': 'at least 16 characters; make one with `openssl rand -hex 32` and keep it (stored tokens need it)',
  'security.admin_token': 'at least 16 characters; make one with `openssl rand -hex 24`, or remove it to turn the admin API off',
  'security.metrics_token': 'at least 16 characters; make one with `openssl rand -hex 24` and give it to Prometheus (authorization: credentials), or remove it (the admin token still reads /metrics)',
  workers: 'a section with concurrency, line_batch_max, line_linger_ms, line_reorder_window_ms, operator_reorder_window_ms, transient_retry_days',
  'workers.concurrency': 'a whole number from 1 to 256 (default 32)',
  'workers.line_batch_max': 'a whole number from 1 to 200 (default 50): most client messages one imconnector call carries',
  'workers.line_linger_ms': 'milliseconds from 0 to 5000 (default 150) to let a batch fill when the portal limit is under pressure',
  'workers.transient_retry_days': 'days from 0.01 to 365 (default 7) a message failing for a passing reason is retried after it was queued before it becomes a dead letter',
  'workers.operator_reorder_window_ms': 'milliseconds from 0 to 60000 (default 5) an operator reply waits at least for an earlier one still on its way (and always for event requests still being received) (longer, up to 5000, while events come late); 0 sends at once',
  'workers.line_reorder_window_ms': 'milliseconds from 0 to 60000 (default 5000): the longest wait for an earlier message; 0 sends at once without restoring MAX order',
  messages: 'a section with system_messages, operator_name, outage_notices, client_wait_notice_minutes and client_wait_notice_text',
  'messages.system_messages': 'one of forward, rewrite (default), drop, forward_all, rewrite_all',
  'messages.outage_notices': 'line (default: the operator is told once per conversation when the bot is down and replies wait) or off',
  'messages.client_wait_notice_minutes': 'minutes a client message may wait for the Open Line before the client is told once in MAX (default 15; 0 = never)',
  'messages.client_wait_notice_text': 'the plain text the client is told then (default: a Russian message saying the company will answer as soon as it can)',
  'messages.operator_name': 'one of keep (default), strip',
  media: 'a section with max_bytes and url_ttl_hours',
  'media.max_bytes': 'a size in bytes from 1024 to 4294967296 (default 52428800, 50 MiB): larger client files are named in the text instead',
  'media.url_ttl_hours': 'hours from 1 to 2160 (default 72) that a re-hosted file link stays valid',
  journal: 'a section with retention_days',
  'journal.retention_days': 'a whole number of days from 1 to 3650 (default 90)',
  log_level: 'one of fatal, error, warn, info (default), debug, trace',
  log_format: 'one of auto (default: readable lines in the sandbox and on a terminal, JSON otherwise), json, pretty',
  max: 'a section with api_url, updates, catchup_window_ms, downtime_catchup_after_ms, downtime_catchup_days, group_chats and polling_backlog_max_age_ms (defaults for every bot)',
  'max.catchup_window_ms': 'milliseconds from 0 to 86400000 (default 600000, 10 minutes); 0 turns the catch-up after a restart off',
  'max.downtime_catchup_after_ms': 'milliseconds from 0 to 86400000 (default 300000, 5 minutes): after a longer downtime the history of recently active chats is read at start',
  'max.downtime_catchup_days': 'days from 0.01 to 90 (default 7): chats active within this many days are read after a long downtime',
  'max.group_chats': 'ignore (default: group chats are stored and listed as skipped, nothing reaches the line) or conversation (one Open Lines dialog per group chat)',
  'max.polling_backlog_max_age_ms': 'milliseconds from 0 to 86400000 (default 300000, 5 minutes): at a first start in polling mode, older waiting updates are skipped and listed',
  'max.api_url': 'the MAX Bot API address, https://platform-api2.max.ru unless you run a test server',
  'max.updates': 'webhook (default, needs public_url) or polling (development without a public address)',
  bitrix24: 'a section with client_id, client_secret, plan, line_id (defaults for every portal)',
  'bitrix24.client_id': 'the client_id of your Bitrix24 application (Developer resources → Other → Local application)',
  'bitrix24.client_secret': 'the client_secret shown next to client_id in the application\'s settings',
  'bitrix24.plan': 'standard (2 requests/s, burst 50; default) or enterprise (5/s, burst 250)',
  'bitrix24.line_id': 'the number of an Open Line (Contact Center → Open Lines, the id in the line\'s address), or remove it to use a line named "MAX"',
  bots: 'a list of bots, each starting with "- id: ..." (see config/example.yaml)',
  'bots[].id': 'a short name such as support: lowercase letters, digits, "-" or "_"',
  'bots[].token': 'the bot token from MAX for business (Chat bots → your bot → Token), or env MAX_BOT_TOKEN for the bot "default"',
  'bots[].webhook_secret': 'remove it to derive one from BRIDGE_SECRET_KEY, or make one with `openssl rand -hex 24`',
  'bots[].updates': 'webhook or polling; remove it to use max.updates',
  'bots[].api_url': 'remove it to use max.api_url, or an https:// address',
  portals: 'a list of portals, each starting with "- id: ..." (see config/example.yaml)',
  'portals[].id': 'a short name such as main: lowercase letters, digits, "-" or "_"; the install address is /bitrix24/install/<id>',
  'portals[].url': 'the portal\'s https:// address, e.g. https://company.bitrix24.ru, or remove it',
  'portals[].client_id': 'the client_id of the application installed on this portal, or remove it to use bitrix24.client_id',
  'portals[].client_secret': 'the client_secret of that application, or remove it to use bitrix24.client_secret',
  'portals[].plan': 'standard or enterprise; remove it to use bitrix24.plan',
  'portals[].limits': 'a section with drain_per_second and burst, or remove it to use the plan\'s limits',
  'portals[].limits.drain_per_second': 'requests per second, above 0 and at most 100 (standard 2, enterprise 5)',
  'portals[].limits.burst': 'a whole number from 1 to 10000 (standard 50, enterprise 250)',
  'portals[].line_id': 'the number of an Open Line on this portal, or remove it to use bitrix24.line_id or a line named "MAX"',
  'portals[].request_timeout_ms': 'milliseconds from 1000 to 60000 (default 55000)',
  routes: 'a list of routes, each "- bot: <bot id or *>" with "portal: <portal id>"',
  'routes[].bot': 'a bot id from bots, or "*" for any bot (quote it in YAML)',
  'routes[].portal': 'a portal id from portals',
  'routes[].line_id': 'the number of an Open Line on that portal, or remove it to use the portal\'s line',
};

/** `bots[2].token` → `bots[].token`. */
export function hintKeyOf(displayKey: string): string {
  return displayKey.replace(/\[\d+\]/g, '[]');
}

export function hintFor(displayKey: string): string | undefined {
  return KEY_HINTS[hintKeyOf(displayKey)];
}
