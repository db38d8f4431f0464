/** Every key path of the configuration schema (bots[].token), walked from its zod definition. */
import { configShapeSchema } from './schema.ts';

interface Def {
  type: string;
  shape?: Record<string, { def: Def }>;
  innerType?: { def: Def };
  element?: { def: Def };
}

function unwrap(def: Def): Def {
  let current = def;
  while (current.innerType) current = current.innerType.def;
  return current;
}

function walk(shape: Record<string, { def: Def }>, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    let def = unwrap(child.def);
    let itemPath = path;
    if (def.type === 'array' && def.element) {
      def = unwrap(def.element.def);
      itemPath = `${path}[]`;
    }
    if (def.shape) walk(def.shape, itemPath, out);
  }
}

export function schemaKeyPaths(): string[] {
  const out: string[] = [];
  walk((configShapeSchema as unknown as { def: Def }).def.shape ?? {}, '', out);
  return out;
}

/** The last segment of every key path: the names "did you mean" chooses from. */
export function schemaKeyNames(): string[] {
  return [...new Set(schemaKeyPaths().map((p) => p.split('.').pop() ?? p))];
}
