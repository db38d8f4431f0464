/**
 * Server-side HTML for the admin UI: one Eta instance, autoEscape on (`<%= x %>` escapes, `<%~ x %>`
 * writes trusted HTML — only HTML this code rendered itself). Templates are TS string constants
 * in src/admin/views/ (tsx and the esbuild bundle load them alike, no template files to ship);
 * each is compiled once and kept by its text.
 */
import { Eta } from 'eta';

const eta = new Eta({ autoEscape: true, autoTrim: false, cache: false, useWith: false, varName: 'it' });

type Compiled = ReturnType<Eta['compile']>;
const compiled = new Map<string, Compiled>();

/** Renders `template` (a view constant) with `data` as `it`. */
export function renderView(template: string, data: object): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = eta.compile(template);
    compiled.set(template, fn);
  }
  return eta.render(fn, data);
}

/** HTML-escapes text for the rare string built outside a template. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
