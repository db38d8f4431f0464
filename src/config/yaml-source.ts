/** CONFIG_FILE as text: parsed once, with the line of any key for error messages. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

export interface YamlSource {
  data: unknown;
  /** YAML syntax errors, already phrased with their line. */
  errors: string[];
  lineOf: (path: readonly PropertyKey[]) => number | undefined;
}

function startOffset(doc: Document, path: readonly PropertyKey[]): number | undefined {
  const parent = path.length <= 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
  const last = path[path.length - 1];
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as { range?: [number, number, number] } | undefined;
    return item?.range?.[0];
  }
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  }
  return undefined;
}

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const errors = doc.errors.map((e) => {
    const line = lineCounter.linePos(e.pos[0]).line;
    // Only the first line of yaml's message: the rest quotes the source, which may hold a secret.
    return `CONFIG_FILE (line ${line}): YAML syntax error: ${e.message.split('\n')[0] ?? ''}; fix the indentation or quoting there`;
  });
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // A missing key has no line: name the nearest enclosing entry that has one.
    for (let end = path.length; end > 0; end -= 1) {
      const offset = startOffset(doc, path.slice(0, end));
      if (offset !== undefined) return lineCounter.linePos(offset).line;
    }
    return undefined;
  };
  return { data: errors.length > 0 ? null : doc.toJS(), errors, lineOf };
}
