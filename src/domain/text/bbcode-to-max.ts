/**
 * Bitrix24 → MAX: operator BB-code into MAX's `format: "html"` text.
 *
 * Input is the message text as Bitrix24 delivers it: BB-code over HTML-escaped
 * text with `<br />` line breaks (bitrix-text.ts decodes that once) and the
 * messenger's dashed quote blocks (bitrix-quote.ts turns them into `[quote]`).
 *
 * Why html rather than markdown: MAX's html escaping is the ordinary one
 * (&amp; &lt; &gt;), so any client text is unambiguous; MAX's markdown has no
 * documented escape for "*", "_" or "~". Supported: b, i, u, s, url, quote,
 * code (its content literal, BB-code inside is not parsed, as in Bitrix24),
 * list (bullets; `[list=1]` numbered), br, mentions as plain names,
 * color/size/font dropped (text kept), img as a link, icon dropped. Unknown or
 * unclosed tags stay as literal text, never as broken markup.
 */
import { bitrixQuotesToBbcode } from './bitrix-quote.ts';
import { decodeBitrixText } from './bitrix-text.ts';

type Node = { kind: 'text'; text: string } | { kind: 'tag'; name: string; arg: string | null; children: Node[] };

const CONTAINERS = new Set(['b', 'i', 'u', 's', 'url', 'quote', 'code', 'list', 'user', 'chat', 'color', 'size', 'font', 'img', 'left', 'right', 'center', 'justify', 'send', 'put', 'call', 'context']);
const SINGLE = new Set(['br', '*', 'icon', 'hr']);
const TAG = /\[(\/?)([a-z*]+)(?:=([^\]]*))?\]/gi;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Frame {
  name: string;
  arg: string | null;
  children: Node[];
  raw: string;
}

/** Parses BB-code into a tree; unmatched closers and unclosed openers become text. */
export function parseBbcode(input: string): Node[] {
  const root: Frame = { name: '', arg: null, children: [], raw: '' };
  const stack: Frame[] = [root];
  let last = 0;
  const top = () => stack[stack.length - 1] as Frame;
  const pushText = (text: string) => {
    if (text) top().children.push({ kind: 'text', text });
  };
  const tags = new RegExp(TAG.source, TAG.flags);
  for (let m = tags.exec(input); m; m = tags.exec(input)) {
    pushText(input.slice(last, m.index));
    last = m.index + m[0].length;
    const closing = m[1] === '/';
    const name = (m[2] as string).toLowerCase();
    const codeEnd = !closing && name === 'code' ? input.toLowerCase().indexOf('[/code]', last) : -1;
    if (codeEnd >= 0) {
      // Code is literal: BB-code inside it is text.
      top().children.push({ kind: 'tag', name, arg: null, children: [{ kind: 'text', text: input.slice(last, codeEnd) }] });
      last = codeEnd + '[/code]'.length;
      tags.lastIndex = last;
    } else if (!closing && SINGLE.has(name)) {
      top().children.push({ kind: 'tag', name, arg: m[3] ?? null, children: [] });
    } else if (!closing && CONTAINERS.has(name)) {
      stack.push({ name, arg: m[3] ?? null, children: [], raw: m[0] });
    } else if (closing && stack.some((f) => f.name === name)) {
      while (top().name !== name) unwind(stack);
      const frame = stack.pop() as Frame;
      top().children.push({ kind: 'tag', name: frame.name, arg: frame.arg, children: frame.children });
    } else {
      pushText(m[0]);
    }
  }
  pushText(input.slice(last));
  while (stack.length > 1) unwind(stack);
  return root.children;
}

/** An unclosed tag: its opening becomes text, its children move up. */
function unwind(stack: Frame[]): void {
  const frame = stack.pop() as Frame;
  const parent = stack[stack.length - 1] as Frame;
  parent.children.push({ kind: 'text', text: frame.raw }, ...frame.children);
}

function safeHref(url: string): string | null {
  const trimmed = url.trim();
  return /^https?:\/\/\S+$/i.test(trimmed) ? trimmed : null;
}

function plain(nodes: Node[]): string {
  return nodes.map((n) => (n.kind === 'text' ? n.text : n.name === 'br' ? '\n' : plain(n.children))).join('');
}

function renderList(children: Node[], numbered: boolean): string {
  const items: Node[][] = [];
  for (const child of children) {
    if (child.kind === 'tag' && child.name === '*') items.push([]);
    else if (items.length > 0) (items[items.length - 1] as Node[]).push(child);
    else if (child.kind !== 'text' || child.text.trim()) items.push([child]);
  }
  return items.map((item, i) => `${numbered ? `${i + 1}.` : '•'} ${render(item).trim()}`).join('\n');
}

function renderTag(node: Extract<Node, { kind: 'tag' }>): string {
  const inner = () => render(node.children);
  switch (node.name) {
    case 'b': case 'i': case 'u': case 's':
      return `<${node.name}>${inner()}</${node.name}>`;
    case 'url': {
      const href = safeHref(node.arg ?? plain(node.children));
      return href ? `<a href="${escapeHtml(href)}">${inner()}</a>` : inner();
    }
    case 'img': {
      const href = safeHref(plain(node.children));
      return href ? `<a href="${escapeHtml(href)}">${escapeHtml(href)}</a>` : '';
    }
    case 'quote':
      return `<blockquote>${inner()}</blockquote>`;
    case 'code':
      return `<pre>${escapeHtml(plain(node.children))}</pre>`;
    case 'list':
      return renderList(node.children, node.arg !== null && /^\s*1\s*$/.test(node.arg));
    case 'br':
      return '\n';
    case 'hr':
      return '\n———\n';
    case 'icon': case '*':
      return '';
    default:
      // user, chat, color, size, font, alignment, send/put/call: keep the text.
      return inner();
  }
}

function render(nodes: Node[]): string {
  return nodes.map((n) => (n.kind === 'text' ? escapeHtml(n.text) : renderTag(n))).join('');
}

export function bbcodeToMaxHtml(bbcode: string): string {
  return render(parseBbcode(bitrixQuotesToBbcode(decodeBitrixText(bbcode.replace(/\r\n/g, '\n')))));
}
