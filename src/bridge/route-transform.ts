/**
 * A route's transforms applied to the messages of its conversations
 * (docs/configuration.md, "Routes"): the client card the operator sees when a
 * conversation is routed, message prefixes (`prefix` inbound, `outbound_prefix`
 * to the client), attachment rules (largest size, allowed types, what to say
 * instead) and the integrator's code hook (`module`: `transformInbound` /
 * `transformOutbound`, src/domain/transform/transform-message.ts), run off the
 * main thread with a time limit (src/transform/hook-runner.ts).
 *
 * A hook that throws, hangs or loops never holds a message back: it goes on
 * unchanged, and the failure is logged and counted
 * (`bridge_transform_hook_total`). A hook that returns null drops the message,
 * with the reason logged (and, inbound, the update listed as skipped).
 * The conversation's route is looked up by name among the routes in force; a
 * route renamed or removed since the conversation was routed applies nothing.
 */
import { isAbsolute, resolve } from 'node:path';
import type { RouteRule, RouteTransformConfig } from '../domain/routing/route-rule.ts';
import { applyAttachmentRules } from '../domain/transform/attachment-rules.ts';
import { renderTemplate, routeTemplateValues } from '../domain/transform/template.ts';
import type { TransformAttachment, TransformContext, TransformMessage } from '../domain/transform/transform-message.ts';
import { lineRefParts } from '../domain/ids.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import type { MaxMessage } from '../max/update.ts';
import type { ConversationRow } from '../store/repos/conversation-repo.ts';
import type { TransformHookRunner } from '../transform/hook-runner.ts';

type Json = Record<string, unknown>;

export interface RouteTransformDeps {
  rules: () => readonly RouteRule[];
  /** The hook runner now (present when some route names a module; a reload may start one). */
  runner: () => TransformHookRunner | null;
  /** Module paths in the configuration are relative to this directory (CONFIG_FILE's). */
  baseDir: string;
  log?: Logger;
}

/** Who the client is, as far as the line knows (for the card, prefixes and hooks). */
export interface ClientFacts {
  name: string | null;
  language: string | null;
}

const escapeBb = (value: string): string => value.replace(/\[/g, '(').replace(/\]/g, ')');

export class RouteTransforms {
  private readonly log: Logger;

  constructor(private readonly deps: RouteTransformDeps) {
    this.log = deps.log ?? silentLogger();
  }

  /** The transform of a conversation's route now; null without one. */
  of(conversation: Pick<ConversationRow, 'routeName'>): RouteTransformConfig | null {
    if (conversation.routeName === null) return null;
    return this.deps.rules().find((r) => r.name === conversation.routeName)?.transform ?? null;
  }

  /** The card shown to the operator when the conversation is routed to the line; null without a template. */
  card(conversation: ConversationRow, client: ClientFacts): string | null {
    const template = this.of(conversation)?.card;
    if (!template) return null;
    const text = renderTemplate(template, routeTemplateValues(this.contextOf(conversation, 'inbound', client)), { escapeValue: escapeBb }).trim();
    return text === '' ? null : text;
  }

  /** The line put before a client's message text in the Open Line ('' without one). */
  inboundPrefix(conversation: ConversationRow, client: ClientFacts): string {
    const template = this.of(conversation)?.prefix;
    return template ? renderTemplate(template, routeTemplateValues(this.contextOf(conversation, 'inbound', client)), { escapeValue: escapeBb }) : '';
  }

  /**
   * A client's MAX message through the route's attachment rules and hook: the message to
   * carry (text and attachments changed as they say), or `dropped` with why.
   */
  async inbound(conversation: ConversationRow, message: MaxMessage, client: ClientFacts): Promise<{ message: MaxMessage; dropped: string | null }> {
    const transform = this.of(conversation);
    if (!transform || (!transform.attachments && !transform.module)) return { message, dropped: null };
    const body: Json = typeof message.body === 'object' && message.body !== null ? (message.body as Json) : {};
    const originals = Array.isArray(body.attachments) ? (body.attachments as Json[]) : [];
    const given: TransformMessage = { text: typeof body.text === 'string' ? body.text : '', attachments: originals.map(attachmentOfMax) };
    const result = await this.apply(transform, given, this.contextOf(conversation, 'inbound', client));
    if (result.dropped !== null) return { message, dropped: result.dropped };
    if (result.message === given) return { message, dropped: null };
    const kept = result.message.attachments.map((a) => (a.ref === undefined ? undefined : originals[Number(a.ref)])).filter((a): a is Json => a !== undefined);
    const textChanged = result.message.text !== given.text;
    // Markup points into the text by offsets: a changed text carries none.
    const nextBody: Json = { ...body, text: result.message.text, attachments: kept, ...(textChanged ? { markup: null } : {}) };
    return { message: { ...message, body: nextBody } as MaxMessage, dropped: null };
  }

  /**
   * An operator's message (BB-code text, Bitrix24 files) through the route's outbound prefix,
   * attachment rules and hook: what to send the client, or `dropped` with why.
   */
  async outbound(conversation: ConversationRow, text: string, files: Json[], operatorName: string | null): Promise<{ text: string; files: Json[]; dropped: string | null }> {
    const transform = this.of(conversation);
    if (!transform) return { text, files, dropped: null };
    const context = this.contextOf(conversation, 'outbound', { name: null, language: null });
    const prefix = transform.outbound_prefix ? renderTemplate(transform.outbound_prefix, routeTemplateValues(context, operatorName), { escapeValue: escapeBb }) : '';
    if (!transform.attachments && !transform.module) return { text: prefix ? `${prefix}${text}` : text, files, dropped: null };
    const given: TransformMessage = { text, attachments: files.map(attachmentOfBitrixFile) };
    const result = await this.apply(transform, given, context);
    if (result.dropped !== null) return { text, files, dropped: result.dropped };
    const kept = result.message.attachments.map((a) => (a.ref === undefined ? undefined : files[Number(a.ref)])).filter((f): f is Json => f !== undefined);
    return { text: prefix ? `${prefix}${result.message.text}` : result.message.text, files: kept, dropped: null };
  }

  private async apply(transform: RouteTransformConfig, given: TransformMessage, context: TransformContext): Promise<{ message: TransformMessage; dropped: string | null }> {
    let message = given;
    if (transform.attachments) {
      const ruled = applyAttachmentRules(message, transform.attachments, { escapeValue: escapeBb });
      if (ruled.replaced.length > 0) message = ruled.message;
    }
    const runner = this.deps.runner();
    if (!transform.module || !runner) return { message, dropped: null };
    const modulePath = isAbsolute(transform.module) ? transform.module : resolve(this.deps.baseDir, transform.module);
    const result = await runner.run(modulePath, context.direction, message, context);
    const where = { route: context.route, direction: context.direction, conversationId: context.conversationId, outcome: result.outcome, durationMs: Math.round(result.durationMs) };
    if (result.outcome === 'dropped') {
      this.log.info({ ...where, reason: result.reason }, 'the route\'s transform hook dropped a message');
      return { message, dropped: result.reason ?? 'hook returned null' };
    }
    if (result.outcome === 'failed' || result.outcome === 'timeout') {
      // The message goes on as it was: a broken hook never holds the conversation back.
      this.log.warn({ ...where, reason: result.reason }, 'the route\'s transform hook failed; the message goes on unchanged');
      return { message, dropped: null };
    }
    return { message: result.outcome === 'changed' ? result.message : message, dropped: null };
  }

  private contextOf(conversation: ConversationRow, direction: 'inbound' | 'outbound', client: ClientFacts): TransformContext {
    const { portalId, lineId } = lineRefParts(conversation.lineRef);
    return {
      direction, route: conversation.routeName ?? '', botId: conversation.botId, portalId, lineId, conversationId: conversation.id,
      client: { name: client.name, maxUserId: conversation.maxUserId, profileUrl: conversation.profile?.profileUrl ?? null, language: client.language },
      source: { startPayload: conversation.startPayload },
    };
  }
}

/** A MAX attachment as a transform sees it; `ref` is its index. */
function attachmentOfMax(a: Json, index: number): TransformAttachment {
  const payload = typeof a.payload === 'object' && a.payload !== null ? (a.payload as Json) : {};
  const size = Number(a.size ?? payload.size);
  return {
    type: String(a.type ?? 'file'),
    name: typeof a.filename === 'string' ? a.filename : typeof a.title === 'string' ? a.title : null,
    sizeBytes: Number.isSafeInteger(size) && size >= 0 ? size : null,
    url: typeof payload.url === 'string' ? payload.url : null,
    ref: String(index),
  };
}

/** A Bitrix24 operator file (`{ name, link, type, size }`) as a transform sees it; `ref` is its index. */
function attachmentOfBitrixFile(f: Json, index: number): TransformAttachment {
  const size = Number(f.size);
  const type = String(f.type ?? 'file');
  return {
    type: type === 'image' || type === 'video' || type === 'audio' ? type : 'file',
    name: typeof f.name === 'string' ? f.name : null,
    sizeBytes: Number.isSafeInteger(size) && size >= 0 ? size : null,
    url: typeof f.link === 'string' ? f.link : typeof f.url === 'string' ? f.url : null,
    ref: String(index),
  };
}
