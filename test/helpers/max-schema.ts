/**
 * Validates MAX payloads against the official schema (spec/max/openapi.yaml)
 * with a real JSON-schema validator (Ajv).
 *
 * OpenAPI 3.0 specifics handled without weakening the schema:
 * - `nullable: true` is understood by Ajv natively;
 * - `discriminator` + `allOf` inheritance: every schema X with a discriminator
 *   mapping becomes a dispatcher that validates the mapped child selected by the
 *   discriminator property (and rejects unknown values); children keep inheriting
 *   from a copy of X without the discriminator (`X__base`), so there is no loop.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type Json = Record<string, unknown>;

const SCHEMA_PATH = new URL('../../spec/max/openapi.yaml', import.meta.url);

function rewriteRefs(node: unknown, from: string, to: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, from, to));
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && v === from ? to : rewriteRefs(v, from, to);
    return out;
  }
  return node;
}

/**
 * `nullable` next to `allOf: [$ref]` with no `type` is the OpenAPI 3.0 idiom for
 * "this reference or null"; Ajv needs it spelled as anyOf [null, …].
 */
function expandNullableRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(expandNullableRefs);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = expandNullableRefs(v);
  if ('nullable' in out && !('type' in out)) {
    const nullable = out.nullable === true;
    delete out.nullable;
    return nullable ? { anyOf: [{ type: 'null' }, out] } : out;
  }
  return out;
}

function prepareSchemas(raw: Json): Json {
  const schemas = structuredClone((raw.components as Json).schemas as Json);
  for (const [name, schema] of Object.entries(schemas)) {
    const disc = (schema as Json).discriminator as { propertyName: string; mapping: Record<string, string> } | undefined;
    if (!disc) continue;
    const baseName = `${name}__base`;
    const base = { ...(schema as Json) };
    delete base.discriminator;
    // Children refer to the base; everyone else gets the dispatcher.
    for (const target of Object.values(disc.mapping)) {
      const child = target.split('/').pop() as string;
      schemas[child] = rewriteRefs(schemas[child], `#/components/schemas/${name}`, `#/components/schemas/${baseName}`);
    }
    schemas[baseName] = base;
    const prop = disc.propertyName;
    schemas[name] = {
      type: 'object',
      required: [prop],
      properties: { [prop]: { type: 'string', enum: Object.keys(disc.mapping) } },
      allOf: Object.entries(disc.mapping).map(([value, ref]) => ({
        if: { properties: { [prop]: { const: value } } },
        then: { $ref: ref },
      })),
    };
  }
  return expandNullableRefs(schemas) as Json;
}

export interface MaxSchemaValidator {
  /** Validates `data` against components.schemas[name]; returns error text or null. */
  check(name: string, data: unknown): string | null;
  /** The schema name of the 200 response of an operation, e.g. ('post', '/messages'). */
  responseSchemaOf(method: string, path: string): string;
  /** The concrete schema of an update type, e.g. 'message_created' → 'MessageCreatedUpdate'. */
  updateSchemaOf(updateType: string): string;
  updateTypes(): string[];
}

export function createMaxSchemaValidator(): MaxSchemaValidator {
  const doc = parseYaml(readFileSync(SCHEMA_PATH, 'utf8')) as Json;
  const schemas = prepareSchemas(doc);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  // ajv-formats is CommonJS with a `default` export property.
  const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addSchema({ $id: 'max', components: { schemas } });
  const cache = new Map<string, ValidateFunction>();
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const updateMapping = ((schemas.Update as Json).allOf as Array<{ if: Json; then: { $ref: string } }>).map((b) => ({
    type: ((b.if.properties as Json).update_type as { const: string }).const,
    schema: b.then.$ref.split('/').pop() as string,
  }));
  return {
    check(name, data) {
      let fn = cache.get(name);
      if (!fn) {
        fn = ajv.compile({ $ref: `max#/components/schemas/${name}` });
        cache.set(name, fn);
      }
      return fn(data) ? null : ajv.errorsText(fn.errors, { separator: '\n' });
    },
    responseSchemaOf(method, path) {
      const op = paths[path]?.[method.toLowerCase()];
      if (!op) throw new Error(`no operation ${method} ${path} in the schema`);
      let ok = (op.responses as Json)['200'] as Json;
      if (typeof ok.$ref === 'string') ok = ((doc.components as Json).responses as Json)[ok.$ref.split('/').pop() as string] as Json;
      const schema = ((ok.content as Json)['application/json'] as Json).schema as Json;
      const ref = (schema.$ref as string | undefined) ?? ((schema.allOf as Json[] | undefined)?.[0]?.$ref as string);
      return ref.split('/').pop() as string;
    },
    updateSchemaOf(updateType) {
      const hit = updateMapping.find((m) => m.type === updateType);
      if (!hit) throw new Error(`unknown update type ${updateType}`);
      return hit.schema;
    },
    updateTypes: () => updateMapping.map((m) => m.type),
  };
}
