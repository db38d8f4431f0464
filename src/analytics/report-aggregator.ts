/**
 * The figures of a report, computed from the period's events in time order (pure: the reading
 * is compute-report.ts's). docs/analytics.md defines each figure; in short:
 *
 * - A **run** is a client message with no operator reply since the previous one, and the client
 *   messages after it until the operator's next reply. Its **response time** is that reply's
 *   time minus the run's first message's time (wall clock). A conversation's very first run is
 *   also its **first response** (no client message of it was ever recorded before).
 * - A run belongs to the period its first message falls in: its reply is followed past the
 *   period's end up to now (`later` in finish()). A run already open when the period began
 *   belongs to the one before; its reply closes it without a figure.
 * - **Unanswered**: conversations whose last client message in the period has had no operator
 *   reply since, up to now. A run still open counts its wait so far against the SLA.
 * - **SLA breach**: a run whose wait within working hours (working-time.ts) is over the target;
 *   first runs against `first_response_seconds` as well.
 * - Line messages (`actor` 'system': greetings, auto-answers) are not replies (the reader
 *   leaves them out).
 *
 * Memory: one small state per conversation active in the period and the groups' duration
 * samples (bounded: duration-sample.ts); never the messages themselves.
 */
import { CONVERSATION_DIMENSIONS, type ConversationFacts, type Dimension } from './dimensions.ts';
import { DurationSample, type DurationSummary } from './duration-sample.ts';
import { addDays } from './zoned-calendar.ts';
import type { WorkingTime } from './working-time.ts';

export interface SlaTargets {
  firstResponseMs: number;
  responseMs: number;
}

export interface ReportOptions {
  /** The period [fromMs, toMs), Unix ms. */
  fromMs: number;
  toMs: number;
  /** Now: replies are followed up to it, and open runs have waited until it. */
  nowMs: number;
  /** The cuts to compute besides the total. */
  by: readonly Dimension[];
  workingTime: WorkingTime;
  sla: SlaTargets;
  /** Durations kept exactly per group (duration-sample.ts). */
  sampleCapacity?: number;
}

/** What was recorded of a conversation before the period (its last client message and operator reply). */
export interface PriorState {
  lastInMs: number | null;
  lastReplyMs: number | null;
}

/** One operator reply (the first part of one operator message). */
export interface ReplyFacts {
  atMs: number;
  operatorId: string | null;
  operatorName: string | null;
}

export interface Figures {
  /** Conversations with a client message in the period (by operator: the conversations the operator answered in). */
  conversations: number;
  /** Client messages the line took; null in the operator cut (not the operator's). */
  messagesIn: number | null;
  /** Operator replies sent to MAX (messages, not their parts). */
  repliesOut: number;
  firstResponse: DurationSummary;
  response: DurationSummary;
  /** Conversations still waiting for a reply now; null in the operator cut. */
  unanswered: number | null;
  slaBreaches: { firstResponse: number; response: number };
}

export interface ReportRow {
  /** The cut's value: a bot id, `YYYY-MM-DD`, an hour `0`–`23`…; null: none (no route name, no deep link, operator not recorded). */
  key: string | null;
  /** The operator's name from the line's signature (operator cut only). */
  name?: string | null;
  figures: Figures;
}

export interface AnalyticsReport {
  fromMs: number;
  toMs: number;
  nowMs: number;
  timeZone: string;
  sla: { firstResponseSeconds: number; responseSeconds: number };
  total: Figures;
  /** Rows of each cut asked for: days and hours in order (every one, empty ones too), the others busiest first. */
  by: Partial<Record<Dimension, ReportRow[]>>;
}

class Group {
  conversations = 0;
  messagesIn = 0;
  repliesOut = 0;
  unanswered = 0;
  firstBreaches = 0;
  responseBreaches = 0;
  name: string | null = null;
  readonly first: DurationSample;
  readonly response: DurationSample;

  constructor(capacity: number | undefined) {
    this.first = new DurationSample(capacity);
    this.response = new DurationSample(capacity);
  }

  figures(perOperator: boolean): Figures {
    return {
      conversations: this.conversations, messagesIn: perOperator ? null : this.messagesIn, repliesOut: this.repliesOut,
      firstResponse: this.first.summary(), response: this.response.summary(), unanswered: perOperator ? null : this.unanswered,
      slaBreaches: { firstResponse: this.firstBreaches, response: this.responseBreaches },
    };
  }
}

interface ConversationState {
  facts: ConversationFacts;
  /** A client message was recorded before (in an earlier period or earlier in this one). */
  hadClientMessage: boolean;
  /** A run open when the period began, not closed yet (it is the earlier period's). */
  openBefore: boolean;
  /** The open run's first message, in the period; null: none open. */
  runStartMs: number | null;
  runIsFirst: boolean;
  /** Its last client message in the period; null: none yet. */
  lastInMs: number | null;
  counted: boolean;
  lastDay: string | null;
  /** Bit h: counted in hour h already. */
  hours: number;
  operators: Set<string> | null;
}

const HOURS_PER_DAY = 24;

/** The operator cut's key: the Bitrix24 user id, else the signature's name; null when neither was recorded. */
function operatorKey(reply: ReplyFacts): string | null {
  if (reply.operatorId !== null) return reply.operatorId;
  return reply.operatorName !== null ? `name:${reply.operatorName}` : null;
}

export class ReportAggregator {
  private readonly conversations = new Map<string, ConversationState>();
  private readonly total: Group;
  private readonly groups = new Map<Dimension, Map<string | null, Group>>();
  private readonly calendar;

  constructor(private readonly options: ReportOptions) {
    this.total = new Group(options.sampleCapacity);
    for (const dimension of options.by) this.groups.set(dimension, new Map());
    this.calendar = options.workingTime.calendar;
  }

  /** Whether meet() was called for the conversation. */
  knows(conversationId: string): boolean {
    return this.conversations.has(conversationId);
  }

  /** Introduces a conversation before its first event: its cuts, and what was recorded of it before the period. */
  meet(facts: ConversationFacts, prior: PriorState): void {
    const openBefore = prior.lastInMs !== null && (prior.lastReplyMs === null || prior.lastInMs >= prior.lastReplyMs);
    this.conversations.set(facts.id, {
      facts, hadClientMessage: prior.lastInMs !== null, openBefore, runStartMs: null, runIsFirst: false, lastInMs: null,
      counted: false, lastDay: null, hours: 0, operators: null,
    });
  }

  /** A client message the line took at `atMs` (events in time order; at equal times replies first). */
  inbound(conversationId: string, atMs: number): void {
    const state = this.stateOf(conversationId);
    const local = this.calendar.at(atMs);
    for (const group of this.groupsOf(state, atMs, null)) group.messagesIn += 1;
    this.countConversation(state, local.date, local.hour);
    if (state.runStartMs === null && !state.openBefore) {
      state.runStartMs = atMs;
      state.runIsFirst = !state.hadClientMessage;
    }
    state.hadClientMessage = true;
    state.lastInMs = atMs;
  }

  /** An operator reply sent in the period. */
  reply(conversationId: string, reply: ReplyFacts): void {
    const state = this.stateOf(conversationId);
    for (const group of this.groupsOf(state, reply.atMs, reply)) group.repliesOut += 1;
    const key = operatorKey(reply);
    const operators = this.groups.get('operator');
    if (operators) {
      state.operators ??= new Set();
      if (!state.operators.has(key ?? '')) {
        state.operators.add(key ?? '');
        this.groupOf(operators, key).conversations += 1;
      }
    }
    this.answer(state, reply);
  }

  /** Conversations whose reply is still awaited at the period's end: look their first reply after it up (finish()'s `later`). */
  waiting(): string[] {
    return [...this.conversations.values()].filter((s) => s.runStartMs !== null || (s.openBefore && s.lastInMs !== null)).map((s) => s.facts.id);
  }

  /** The report; `later`: the first operator reply after the period (up to now) of the conversations waiting(). */
  finish(later: ReadonlyMap<string, ReplyFacts>): AnalyticsReport {
    for (const state of this.conversations.values()) {
      const reply = later.get(state.facts.id);
      if (reply) {
        this.answer(state, reply);
        continue;
      }
      if (state.runStartMs !== null) this.judgeOpen(state, state.runStartMs);
      if (state.lastInMs !== null && (state.runStartMs !== null || state.openBefore)) {
        for (const group of this.groupsOf(state, state.lastInMs, null)) group.unanswered += 1;
      }
    }
    const { fromMs, toMs, nowMs, sla } = this.options;
    const by: Partial<Record<Dimension, ReportRow[]>> = {};
    for (const [dimension, groups] of this.groups) by[dimension] = this.rowsOf(dimension, groups);
    return {
      fromMs, toMs, nowMs, timeZone: this.calendar.timeZone,
      sla: { firstResponseSeconds: sla.firstResponseMs / 1_000, responseSeconds: sla.responseMs / 1_000 },
      total: this.total.figures(false), by,
    };
  }

  /** A reply closes the open run (a figure when it opened in the period); a run open before the period closes without one. */
  private answer(state: ConversationState, reply: ReplyFacts): void {
    if (state.openBefore) {
      state.openBefore = false;
      return;
    }
    const start = state.runStartMs;
    if (start === null) return;
    state.runStartMs = null;
    const waitMs = reply.atMs - start;
    const workingMs = this.options.workingTime.between(start, reply.atMs);
    const { sla } = this.options;
    for (const group of this.groupsOf(state, start, reply)) {
      group.response.add(waitMs);
      if (workingMs > sla.responseMs) group.responseBreaches += 1;
      if (!state.runIsFirst) continue;
      group.first.add(waitMs);
      if (workingMs > sla.firstResponseMs) group.firstBreaches += 1;
    }
  }

  /** A run still open now: its wait so far is judged against the SLA. */
  private judgeOpen(state: ConversationState, start: number): void {
    const workingMs = this.options.workingTime.between(start, this.options.nowMs);
    const { sla } = this.options;
    for (const group of this.groupsOf(state, start, null)) {
      if (workingMs > sla.responseMs) group.responseBreaches += 1;
      if (state.runIsFirst && workingMs > sla.firstResponseMs) group.firstBreaches += 1;
    }
  }

  private countConversation(state: ConversationState, date: string, hour: number): void {
    if (!state.counted) {
      state.counted = true;
      this.total.conversations += 1;
      for (const dimension of CONVERSATION_DIMENSIONS) {
        const groups = this.groups.get(dimension);
        if (groups) this.groupOf(groups, state.facts[dimension]).conversations += 1;
      }
    }
    const days = this.groups.get('day');
    if (days && state.lastDay !== date) {
      state.lastDay = date;
      this.groupOf(days, date).conversations += 1;
    }
    const hours = this.groups.get('hour');
    if (hours && (state.hours & (1 << hour)) === 0) {
      state.hours |= 1 << hour;
      this.groupOf(hours, String(hour)).conversations += 1;
    }
  }

  /** The total and the groups an event of `state` at `atMs` counts in (the operator's only for a reply). */
  private groupsOf(state: ConversationState, atMs: number, reply: ReplyFacts | null): Group[] {
    const out = [this.total];
    let local: { date: string; hour: number } | null = null;
    for (const [dimension, groups] of this.groups) {
      if (dimension === 'day' || dimension === 'hour') {
        local ??= this.calendar.at(atMs);
        out.push(this.groupOf(groups, dimension === 'day' ? local.date : String(local.hour)));
      } else if (dimension === 'operator') {
        if (!reply) continue;
        const group = this.groupOf(groups, operatorKey(reply));
        if (reply.operatorName !== null) group.name = reply.operatorName;
        out.push(group);
      } else {
        out.push(this.groupOf(groups, state.facts[dimension]));
      }
    }
    return out;
  }

  private groupOf(groups: Map<string | null, Group>, key: string | null): Group {
    let group = groups.get(key);
    if (!group) {
      group = new Group(this.options.sampleCapacity);
      groups.set(key, group);
    }
    return group;
  }

  private stateOf(conversationId: string): ConversationState {
    const state = this.conversations.get(conversationId);
    if (!state) throw new Error(`analytics: conversation ${conversationId} was not introduced (meet() before its events)`);
    return state;
  }

  private rowsOf(dimension: Dimension, groups: Map<string | null, Group>): ReportRow[] {
    if (dimension === 'day') {
      // Every day of the period, the empty ones too (a chart's axis has no holes).
      const first = this.calendar.at(this.options.fromMs).date;
      const last = this.calendar.at(Math.max(this.options.fromMs, this.options.toMs - 1)).date;
      for (let date = first; date <= last; date = addDays(date, 1)) this.groupOf(groups, date);
    }
    if (dimension === 'hour') for (let hour = 0; hour < HOURS_PER_DAY; hour += 1) this.groupOf(groups, String(hour));
    const perOperator = dimension === 'operator';
    const rows = [...groups].map(([key, group]): ReportRow => ({ key, ...(perOperator ? { name: group.name } : {}), figures: group.figures(perOperator) }));
    if (dimension === 'day') return rows.sort((a, b) => String(a.key).localeCompare(String(b.key)));
    if (dimension === 'hour') return rows.sort((a, b) => Number(a.key) - Number(b.key));
    const busy = (r: ReportRow) => (r.figures.messagesIn ?? 0) + r.figures.repliesOut;
    return rows.sort((a, b) => busy(b) - busy(a) || (a.key === null ? 1 : b.key === null ? -1 : a.key.localeCompare(b.key)));
  }
}
