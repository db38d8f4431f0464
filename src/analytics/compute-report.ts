/**
 * Makes a report: reads the period's client messages and operator replies from the store
 * (src/store/repos/analytics-repo.ts) a page at a time, merges the two streams in time order,
 * and feeds them to the aggregator (report-aggregator.ts) with each conversation's cuts and
 * history, looked up a batch of conversations at a time. Memory is bounded by the
 * conversations active in the period, never by their messages.
 */
import type { ConversationFacts } from './dimensions.ts';
import { ReportAggregator, type AnalyticsReport, type PriorState, type ReplyFacts, type ReportOptions } from './report-aggregator.ts';

/** One client message the line took. */
export interface InboundEvent {
  conversationId: string;
  atMs: number;
}

/** One operator reply (its first part). */
export interface ReplyEvent extends ReplyFacts {
  conversationId: string;
}

/** What a report reads (the store's analytics repository). */
export interface AnalyticsSource {
  /** Client messages taken by the line in [fromMs, toMs), ordered by time (then id). */
  inbound(fromMs: number, toMs: number): AsyncIterable<InboundEvent>;
  /** Operator replies (not the line's own messages) first sent in [fromMs, toMs), ordered by time (then id). */
  replies(fromMs: number, toMs: number): AsyncIterable<ReplyEvent>;
  /** The cuts of these conversations (one fact per id, also for a conversation no longer stored). */
  conversations(ids: readonly string[]): Promise<ConversationFacts[]>;
  /** Each conversation's last client message and last operator reply before `beforeMs` (absent: none of either). */
  priorStates(ids: readonly string[], beforeMs: number): Promise<ReadonlyMap<string, PriorState>>;
  /** Each conversation's first operator reply in [fromMs, untilMs) (absent: none). */
  firstReplies(ids: readonly string[], fromMs: number, untilMs: number): Promise<ReadonlyMap<string, ReplyFacts>>;
}

/** Events taken at a time before their conversations are looked up (and at most this many conversations per lookup). */
export const EVENT_BATCH = 500;

type Event = { kind: 'in'; event: InboundEvent } | { kind: 'reply'; event: ReplyEvent };

/** The two streams as one, in time order; at equal times a reply first (it cannot answer a message written at its own instant). */
async function* merged(inbound: AsyncIterable<InboundEvent>, replies: AsyncIterable<ReplyEvent>): AsyncGenerator<Event> {
  const ins = inbound[Symbol.asyncIterator]();
  const outs = replies[Symbol.asyncIterator]();
  let nextIn = await ins.next();
  let nextOut = await outs.next();
  while (!nextIn.done || !nextOut.done) {
    if (!nextOut.done && (nextIn.done || nextOut.value.atMs <= nextIn.value.atMs)) {
      yield { kind: 'reply', event: nextOut.value };
      nextOut = await outs.next();
    } else if (!nextIn.done) {
      yield { kind: 'in', event: nextIn.value };
      nextIn = await ins.next();
    }
  }
}

async function introduce(source: AnalyticsSource, aggregator: ReportAggregator, ids: string[], fromMs: number): Promise<void> {
  if (ids.length === 0) return;
  const [facts, priors] = await Promise.all([source.conversations(ids), source.priorStates(ids, fromMs)]);
  for (const fact of facts) aggregator.meet(fact, priors.get(fact.id) ?? { lastInMs: null, lastReplyMs: null });
}

async function feed(source: AnalyticsSource, aggregator: ReportAggregator, batch: Event[], fromMs: number): Promise<void> {
  const unknown = [...new Set(batch.map((e) => e.event.conversationId))].filter((id) => !aggregator.knows(id));
  await introduce(source, aggregator, unknown, fromMs);
  for (const e of batch) {
    if (e.kind === 'in') aggregator.inbound(e.event.conversationId, e.event.atMs);
    else aggregator.reply(e.event.conversationId, e.event);
  }
}

export async function computeReport(source: AnalyticsSource, options: ReportOptions): Promise<AnalyticsReport> {
  const { fromMs, toMs, nowMs } = options;
  const aggregator = new ReportAggregator(options);
  let batch: Event[] = [];
  for await (const event of merged(source.inbound(fromMs, toMs), source.replies(fromMs, toMs))) {
    batch.push(event);
    if (batch.length < EVENT_BATCH) continue;
    await feed(source, aggregator, batch, fromMs);
    batch = [];
  }
  await feed(source, aggregator, batch, fromMs);
  // Runs still open at the period's end: their reply is followed up to now.
  const waiting = aggregator.waiting();
  const later = new Map<string, ReplyFacts>();
  if (nowMs > toMs) {
    for (let i = 0; i < waiting.length; i += EVENT_BATCH) {
      for (const [id, reply] of await source.firstReplies(waiting.slice(i, i + EVENT_BATCH), toMs, nowMs)) later.set(id, reply);
    }
  }
  return aggregator.finish(later);
}
