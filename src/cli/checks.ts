/**
 * `npm run bridge -- checks gates | verdicts <conversation> | release <conversation> [--note "…"]
 * | block <conversation> [--note "…"] [--json]`: the conversations checks hold or block, a
 * conversation's verdicts, and an administrator's release or block (docs/hooks.md, "Checks";
 * src/bridge/checks/gate-admin.ts), in the store the configuration names (with
 * BRIDGE_SECRET_KEY). A release or a block wakes the conversation's held updates: the running
 * bridge takes them within its poll interval, in order.
 *
 * Exit 0: done; 1: nothing to release, or no such conversation; 2: bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { nearestName } from '../config/nearest-name.ts';
import { blockConversation, gateJson, releaseConversation, verdictJson } from '../bridge/checks/gate-admin.ts';
import { parseConversationId, type ConversationId } from '../domain/ids.ts';
import type { CheckVerdictRow, ConversationGate } from '../store/repos/hook-repo.ts';
import { openCliStore } from './cli-store.ts';

export const CHECKS_USAGE = [
  'Использование / usage: npm run bridge -- checks <subcommand> [--json]',
  '  gates                                   задержанные и заблокированные диалоги / held and blocked conversations',
  '  verdicts <conversation>                 вердикты проверок по диалогу / a conversation\'s verdicts',
  '  release <conversation> [--note "…"]     пропустить диалог: задержанные сообщения уйдут в линию по порядку',
  '                                          / let it through: its held messages go to the line, in order',
  '  block <conversation> [--note "…"]       заблокировать диалог / block the conversation',
  '',
  'Диалог — <id бота>:<id чата MAX>, например sales:90000001 / a conversation id is <bot id>:<MAX chat id>.',
  'Код выхода / exit code: 0 — готово / done; 1 — нечего отпускать или нет такого диалога / nothing to release',
  'or no such conversation; 2 — ошибка вызова или конфигурации / bad usage or configuration.',
].join('\n');

const SUBCOMMANDS = ['gates', 'verdicts', 'release', 'block'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

class UsageError extends Error {}

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { note: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message.replace(/\s*To specify .*$/s, '') : String(error)}; fix: see the usage below`);
  }
}

function idOf(text: string | undefined, sub: Subcommand): ConversationId {
  if (text === undefined) throw new UsageError(`${sub} needs a conversation id, e.g. checks ${sub} sales:90000001`);
  const id = parseConversationId(text);
  if (id === null) throw new UsageError(`"${text}" is not a conversation id; fix: write <bot id>:<MAX chat id>, e.g. sales:90000001`);
  return id;
}

function gateLine(g: ConversationGate): string {
  const what = g.verdict === 'block' ? 'заблокирован / blocked' : 'задержан / held';
  return `${g.conversationId}\t${what}\t${g.checkName}\t${new Date(g.sinceMs).toISOString()}\t${g.replied ? 'клиенту сказано / client told' : '—'}\t${g.note ?? ''}`;
}

function verdictLine(v: CheckVerdictRow): string {
  const extra = [v.route ? `route=${v.route}` : '', v.tags.length > 0 ? `tags=${v.tags.join(',')}` : '', v.note ?? ''].filter(Boolean).join(' ');
  return `${new Date(v.atMs).toISOString()}\t${v.checkName}\t${v.verdict}\t${v.source}\t${v.eventId ?? '—'}\t${extra}`;
}

async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args);
  const [sub, target, ...extra] = positionals;
  if (values.help) {
    console.log(CHECKS_USAGE);
    return 0;
  }
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    const near = sub === undefined ? undefined : nearestName(sub, [...SUBCOMMANDS]);
    throw new UsageError(`${sub === undefined ? 'which subcommand?' : `unknown subcommand "${sub}"`}${near ? `; did you mean "checks ${near}"?` : ''}`);
  }
  const subcommand = sub as Subcommand;
  if (subcommand === 'gates' ? target !== undefined || extra.length > 0 : extra.length > 0) throw new UsageError(`too many arguments for checks ${subcommand}`);
  if (values.note !== undefined && subcommand !== 'release' && subcommand !== 'block') throw new UsageError('--note goes with release or block');
  if (values.note !== undefined && values.note.length > 1_000) throw new UsageError('--note is longer than 1000 characters');
  const id = subcommand === 'gates' ? null : idOf(target, subcommand);
  const opened = await openCliStore('checks');
  if (!opened.ok) return opened.exitCode;
  const { store } = opened;
  try {
    const by = { nowMs: Date.now(), note: values.note?.trim() || null };
    switch (subcommand) {
      case 'gates': {
        const gates = await store.hooks.gates();
        if (values.json) console.log(JSON.stringify({ gates: gates.map(gateJson) }, null, 2));
        else if (gates.length === 0) console.log('Задержанных и заблокированных диалогов нет. / No held or blocked conversations.');
        else for (const g of gates) console.log(gateLine(g));
        return 0;
      }
      case 'verdicts': {
        const conversationId = id as ConversationId;
        const verdicts = await store.hooks.verdictsOf(conversationId);
        const gate = await store.hooks.gate(conversationId);
        const conversation = await store.conversations.get(conversationId);
        if (values.json) {
          console.log(JSON.stringify({ conversation_id: conversationId, gate: gate ? gateJson(gate) : null, tags: conversation?.tags ?? [], verdicts: verdicts.map(verdictJson) }, null, 2));
          return 0;
        }
        if (gate) console.log(gateLine(gate));
        if (conversation && conversation.tags.length > 0) console.log(`метки / tags: ${conversation.tags.join(', ')}`);
        if (verdicts.length === 0) console.log(`По диалогу ${conversationId} вердиктов нет. / No verdicts about ${conversationId}.`);
        for (const v of verdicts) console.log(verdictLine(v));
        return 0;
      }
      case 'release': {
        const done = await releaseConversation(store, id as ConversationId, by);
        if (!done.done) {
          console.error(`checks release: диалог ${id} не задержан и не заблокирован / ${id} is neither held nor blocked (see: checks gates)`);
          return 1;
        }
        if (values.json) console.log(JSON.stringify({ released: { conversation_id: id, was: done.gate ? gateJson(done.gate) : null, woken_jobs: done.woken } }, null, 2));
        else console.log(`Диалог ${id} пропущен; задержанных сообщений: ${done.woken} — мост отправит их по порядку. / ${id} released; ${done.woken} held update(s) go now, in order.`);
        return 0;
      }
      case 'block': {
        const done = await blockConversation(store, id as ConversationId, by);
        if (!done.done) {
          console.error(`checks block: диалога ${id} нет / no conversation ${id}; fix: take the id from checks gates, the admin API or the log`);
          return 1;
        }
        if (values.json) console.log(JSON.stringify({ blocked: { conversation_id: id, gate: done.gate ? gateJson(done.gate) : null, woken_jobs: done.woken } }, null, 2));
        else console.log(`Диалог ${id} заблокирован: его сообщения не попадут в линию. / ${id} blocked: its messages reach no line.`);
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

/** Runs `checks` with its arguments (after "checks"); the exit code. */
export async function checksCommand(args: readonly string[]): Promise<number> {
  try {
    return await run(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`checks: ${error.message}\n\n${CHECKS_USAGE}`);
    return 2;
  }
}
