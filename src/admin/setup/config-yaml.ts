/**
 * Edits of CONFIG_FILE made by the Setup page, with the `yaml` package's Document API so
 * that the operator's comments, order and formatting stay as they were: a bot added to
 * `bots:`, a portal's `line_id` set. Also the fragments shown to paste when the file cannot
 * be written. Secrets are never written here: a token is a `${VARIABLE}` reference.
 */
import { isMap, isSeq, parseDocument, stringify, YAMLMap, YAMLSeq, type Document } from 'yaml';

/** A bot as the Setup page writes it (the token is a `${VARIABLE}` reference, never the value). */
export interface BotEntry {
  id: string;
  tokenVariable: string;
  updates: 'webhook' | 'polling';
  /** Written only when the bot reaches MAX elsewhere than `max.api_url` (as every configured bot does). */
  apiUrl?: string;
}

/** Long values are kept on one line, as the operator wrote them. */
const TO_STRING = { lineWidth: 0 } as const;

function botNode(entry: BotEntry): Record<string, string> {
  return { id: entry.id, token: `\${${entry.tokenVariable}}`, updates: entry.updates, ...(entry.apiUrl ? { api_url: entry.apiUrl } : {}) };
}

function parsed(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`CONFIG_FILE is not valid YAML (line ${doc.errors[0]?.linePos?.[0]?.line ?? '?'})`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('CONFIG_FILE is not a YAML mapping of keys');
  return doc;
}

/** The file's text with the bot appended to `bots:` (made when absent); everything else as it was. */
export function withBotAdded(text: string, entry: BotEntry): string {
  const doc = parsed(text);
  const node = doc.createNode(botNode(entry));
  const bots = doc.get('bots', true);
  if (isSeq(bots)) {
    // `bots: []` becomes a block list, as every example writes it.
    bots.flow = false;
    bots.add(node);
  } else {
    const seq = new YAMLSeq();
    seq.add(node);
    doc.set('bots', seq);
  }
  return doc.toString(TO_STRING);
}

/** The portal's entry in `portals:` of the file, or null when the file does not list it (env BITRIX24_CLIENT_ID made it). */
function portalEntry(doc: Document, portalId: string): YAMLMap | null {
  const portals = doc.get('portals', true);
  if (!isSeq(portals)) return null;
  const found = portals.items.find((item) => isMap(item) && item.get('id') === portalId);
  return isMap(found) ? found : null;
}

/** Whether the file lists this portal (so that its `line_id` can be written there). */
export function fileListsPortal(text: string, portalId: string): boolean {
  return portalEntry(parsed(text), portalId) !== null;
}

/** The file's text with `line_id` of the portal set; null when the file does not list the portal. */
export function withPortalLine(text: string, portalId: string, lineId: number): string | null {
  const doc = parsed(text);
  const portal = portalEntry(doc, portalId);
  if (!portal) return null;
  portal.set('line_id', lineId);
  return doc.toString(TO_STRING);
}

/** The bot as an item to paste under `bots:` (indented as in config/example.yaml). */
export function botYamlItem(entry: BotEntry): string {
  return stringify([botNode(entry)], TO_STRING).trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
}

/** A whole file holding only this bot: for a bridge configured by environment variables alone. */
export function botYamlFile(entry: BotEntry): string {
  return `bots:\n${botYamlItem(entry)}`;
}

/** The line to write into the portal's entry under `portals:`. */
export function portalLineYaml(portalId: string, lineId: number): string {
  return stringify([{ id: portalId, line_id: lineId }], TO_STRING).trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
}
