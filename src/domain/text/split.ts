/**
 * Splits MAX html text over the length limit (4000, spec §6; headroom is the
 * caller's choice) at a paragraph, else a line, else a word boundary; a single
 * overlong word is cut hard. Never inside a tag or an entity: a tag open at the
 * cut is closed at the end of one part and reopened at the start of the next.
 * Parts keep order; nothing is lost or repeated.
 */
export type LengthUnit = 'chars' | 'bytes';

const ATOM = /<\/?[a-z][^>]*>|&[a-z0-9#]+;|[\s\S]/giu;

interface Atom {
  text: string;
  /** Open tags (full opening markup) after this atom. */
  stack: string[];
}

function measure(text: string, unit: LengthUnit): number {
  return unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : [...text].length;
}

function tagName(tag: string): string {
  return /^<\/?([a-z0-9]+)/i.exec(tag)?.[1]?.toLowerCase() ?? '';
}

function closers(stack: string[]): string {
  return [...stack].reverse().map((t) => `</${tagName(t)}>`).join('');
}

function atomsOf(html: string): Atom[] {
  const atoms: Atom[] = [];
  let stack: string[] = [];
  for (const m of html.matchAll(ATOM)) {
    const text = m[0];
    if (text.startsWith('</')) {
      const name = tagName(text);
      const idx = stack.map(tagName).lastIndexOf(name);
      if (idx >= 0) stack = stack.slice(0, idx);
    } else if (text.startsWith('<') && text.length > 1) {
      stack = [...stack, text];
    }
    atoms.push({ text, stack });
  }
  return atoms;
}

/**
 * Where to cut (the next part starts there): the last paragraph, line or space
 * boundary within the atoms that fit (`start…end`), else `end`. A boundary right
 * after the last fitting atom counts too: the whitespace is trimmed from the part.
 */
function cutPoint(atoms: Atom[], start: number, end: number): number {
  for (const boundary of ['\n\n', '\n', ' ']) {
    for (let i = boundary === '\n\n' ? end + 1 : end; i > start; i--) {
      if (boundary === '\n\n' ? atoms[i]?.text === '\n' && atoms[i - 1]?.text === '\n' : atoms[i]?.text === boundary) return i;
    }
  }
  return end;
}

export function splitForMax(html: string, maxLength = 4000, unit: LengthUnit = 'chars'): string[] {
  if (measure(html, unit) <= maxLength) return [html];
  const atoms = atomsOf(html);
  const parts: string[] = [];
  let start = 0;
  let prefix = '';
  while (start < atoms.length) {
    let length = measure(prefix, unit);
    let end = start;
    while (end < atoms.length) {
      const atom = atoms[end] as Atom;
      const next = length + measure(atom.text, unit);
      if (next + measure(closers(atom.stack), unit) > maxLength) break;
      length = next;
      end++;
    }
    if (end === atoms.length) {
      parts.push(prefix + atoms.slice(start).map((a) => a.text).join(''));
      break;
    }
    let cut = end === start ? start + 1 : cutPoint(atoms, start, end);
    if (cut <= start) cut = end;
    const body = atoms.slice(start, cut).map((a) => a.text).join('');
    const stackAtCut = cut > 0 ? (atoms[cut - 1] as Atom).stack : [];
    parts.push((prefix + body).replace(/\s+$/u, '') + closers(stackAtCut));
    start = cut;
    while (start < atoms.length && /^\s$/u.test((atoms[start] as Atom).text)) start++;
    prefix = stackAtCut.join('');
  }
  return parts.filter((p) => p.length > 0);
}
