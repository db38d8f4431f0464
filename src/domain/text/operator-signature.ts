/**
 * With NEED_SIGNATURE Bitrix24 starts operator texts with `[b]Name:[/b] [br]`
 * (spec §7). The pipeline keeps or strips it per configuration. The line break
 * is required: an operator's own bold lead-in (`[b]Важно:[/b] текст`) is text.
 */
const SIGNATURE = /^\[b\]([^[\]]{1,100}):\[\/b\][ \t]*(?:\[br\]|\r?\n)/i;

export function parseOperatorSignature(bbcode: string): { operatorName: string | null; body: string } {
  const m = SIGNATURE.exec(bbcode);
  if (!m) return { operatorName: null, body: bbcode };
  return { operatorName: (m[1] as string).trim(), body: bbcode.slice(m[0].length) };
}
