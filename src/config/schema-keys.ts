/**
 * Every key path of the configuration schema (bots[].token), walked from its zod definition.
 * A key that takes one value or a list (routes[].to) has the keys of both forms:
 * `routes[].to.portal` and `routes[].to[].weight`.
 */
import type { z } from 'zod';
import { oneOrListForms } from './route-schema.ts';
import { configShapeSchema } from './schema.ts';

interface Node {
  def: Def;
}

interface Def {
  type: string;
  shape?: Record<string, Node>;
  innerType?: Node;
  element?: Node;
}

/** Past optional, default and prefault wrappers. */
function unwrap(node: Node): Node {
  let current = node;
  while (current.def.innerType) current = current.def.innerType;
  return current;
}

/** The keys inside the value at `path` (the path itself is already listed). */
function walkValue(node: Node, path: string, out: string[]): void {
  const value = unwrap(node);
  const forms = oneOrListForms.get(value as unknown as z.ZodType);
  if (forms) {
    walkValue(forms.one as unknown as Node, path, out);
    walkValue(forms.list as unknown as Node, path, out);
    return;
  }
  if (value.def.type === 'array' && value.def.element) walkValue(value.def.element, `${path}[]`, out);
  else if (value.def.shape) walkShape(value.def.shape, path, out);
}

function walkShape(shape: Record<string, Node>, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    walkValue(child, path, out);
  }
}

export function schemaKeyPaths(): string[] {
  const out: string[] = [];
  walkShape((configShapeSchema as unknown as Node).def.shape ?? {}, '', out);
  return out;
}

/** The last segment of every key path: the names "did you mean" chooses from. */
export function schemaKeyNames(): string[] {
  return [...new Set(schemaKeyPaths().map((p) => p.split('.').pop() ?? p))];
}
