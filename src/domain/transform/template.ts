/**
 * A route's text templates (`transform.card`, `transform.prefix`,
 * `transform.outbound_prefix`, `transform.attachments.instead_text`): text with
 * `{{name}}` placeholders (spaces inside the braces allowed, `{{ name }}`), each
 * replaced by its value. Nothing else is interpreted: no expressions, no code, no
 * HTML and no escaping of its own (a caller that puts the result into BB-code
 * passes `escapeValue`). An unknown or empty placeholder renders as nothing; a
 * stray `{{` or `}}` stays as written. `validateTemplate` finds both at
 * configuration time, so the running bridge never meets them silently.
 */
import type { TransformContext } from './transform-message.ts';

/** `{{…}}` with no brace inside: one placeholder, whatever its name. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[a-z_][a-z0-9_]*$/;

/** The placeholders of a route's card (the first message of a conversation in its line). */
export const CARD_PLACEHOLDERS = ['name', 'profile_url', 'source', 'route', 'bot', 'language'] as const;
/** The placeholders of `prefix` / `outbound_prefix`: the card's, plus the operator (outbound). */
export const PREFIX_PLACEHOLDERS = [...CARD_PLACEHOLDERS, 'operator'] as const;

export type CardPlaceholder = (typeof CARD_PLACEHOLDERS)[number];
export type PrefixPlaceholder = (typeof PREFIX_PLACEHOLDERS)[number];

/** `source` when the client came without a start payload. */
export const NO_SOURCE = '—';

export interface RenderOptions {
  /** Applied to every substituted value (never to the template's own text), e.g. a BB-code escaper. */
  escapeValue?: (value: string) => string;
}

/** The template with every `{{name}}` replaced by `values[name]`; unknown or null → empty. */
export function renderTemplate(template: string, values: Readonly<Record<string, string | null>>, options: RenderOptions = {}): string {
  return template.replace(PLACEHOLDER, (_whole, inner: string) => {
    const name = inner.trim();
    // Own keys only: `{{constructor}}` must not reach Object.prototype.
    const value = Object.hasOwn(values, name) ? values[name] : null;
    if (value === null || value === undefined) return '';
    return options.escapeValue ? options.escapeValue(value) : value;
  });
}

/**
 * What is wrong with a template, one line each (empty: nothing): placeholders not in
 * `allowed` (or not a name at all), and `{{` / `}}` without their other half.
 */
export function validateTemplate(template: string, allowed: readonly string[]): string[] {
  const problems = new Set<string>();
  const known = allowed.length ? `known: ${allowed.map((n) => `{{${n}}}`).join(', ')}` : 'this template takes none';
  for (const [, inner] of template.matchAll(PLACEHOLDER)) {
    const name = inner!.trim();
    if (name === '') problems.add(`empty placeholder {{}}; ${known}`);
    else if (!NAME.test(name)) problems.add(`{{${name}}} is not a placeholder name (lower-case letters, digits, _); ${known}`);
    else if (!allowed.includes(name)) problems.add(`unknown placeholder {{${name}}}; ${known}`);
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{{')) problems.add('"{{" without its closing "}}"');
  if (rest.includes('}}')) problems.add('"}}" without its opening "{{"');
  return [...problems];
}

/**
 * The values of the card and prefix placeholders for one conversation. `operator` is the
 * operator's name on an outbound message (null inbound: `{{operator}}` renders as nothing).
 */
export function routeTemplateValues(context: TransformContext, operatorName: string | null = null): Record<PrefixPlaceholder, string | null> {
  return {
    name: context.client.name,
    profile_url: context.client.profileUrl,
    source: context.source.startPayload || NO_SOURCE,
    route: context.route,
    bot: context.botId,
    language: context.client.language,
    operator: operatorName,
  };
}
