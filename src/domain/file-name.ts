/**
 * File names shortened to a service's limit, keeping the extension (so the
 * client's phone still knows how to open the file) and whole characters: the
 * cut never falls inside a surrogate pair, so the name stays valid UTF-8.
 * The limit is counted in UTF-16 code units, which is never fewer than code
 * points: a name that fits in units fits whichever way the service counts
 * characters. A shortened name ends its stem with "…" to show it was cut.
 */

/** An extension is kept when it looks like one: short, no spaces, not the whole name. */
const EXTENSION = /\.[^.\s]{1,15}$/u;
const ELLIPSIS = '…';

export function shortenFileName(name: string, maxUnits: number): string {
  if (name.length <= maxUnits) return name;
  const match = EXTENSION.exec(name);
  const extension = match && match.index > 0 ? match[0] : '';
  const stem = extension ? name.slice(0, name.length - extension.length) : name;
  const room = maxUnits - extension.length - ELLIPSIS.length;
  if (room < 1) return cutToUnits(name, maxUnits);
  return `${cutToUnits(stem, room).replace(/[\s.]+$/u, '')}${ELLIPSIS}${extension}`;
}

/** The longest prefix of whole code points that fits in `units` UTF-16 code units. */
function cutToUnits(text: string, units: number): string {
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > units) break;
    out += ch;
  }
  return out;
}
