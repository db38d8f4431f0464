import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ALL_ENV_NAMES, ENV_DEFAULT_BOT, ENV_SCALARS } from '../../../src/config/env.ts';
import { KEY_HINTS } from '../../../src/config/key-hints.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { schemaKeyPaths } from '../../../src/config/schema-keys.ts';
import { errorsOf, okConfig } from './helpers.ts';

const EXAMPLE = readFileSync('config/example.yaml', 'utf8');
const DOCS = readFileSync('docs/configuration.md', 'utf8');

/** Every key path written in a YAML document, lists as `[]`. */
function keyPaths(node: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) keyPaths(item, `${prefix}[]`, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      keyPaths(value, path, out);
    }
  }
  return out;
}

/** The env variables config/example.yaml refers to with ${NAME}, given throwaway values. */
function exampleEnv(): Record<string, string> {
  const values = EXAMPLE.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
  const names = [...values.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1] as string);
  assert.ok(names.length >= 5, 'the example keeps its secrets in env variables');
  return Object.fromEntries(names.map((name) => [name, `${name.toLowerCase().replace(/_/g, '-')}-value-0123456789`]));
}

test('config/example.yaml validates (production, several bots and portals) with its ${VAR}s set', () => {
  const r = okConfig(loadConfig({ CONFIG_FILE: 'config/example.yaml', ...exampleEnv() }, () => EXAMPLE));
  assert.equal(r.mode, 'production');
  assert.ok(r.config.bots.length >= 2 && r.config.portals.length >= 2 && r.config.routes.length >= 2);
});

test('config/example.yaml without its env variables names each missing one', () => {
  const errors = errorsOf(loadConfig({ CONFIG_FILE: 'config/example.yaml' }, () => EXAMPLE));
  for (const name of Object.keys(exampleEnv())) assert.ok(errors.some((e) => e.includes(`export ${name}`)), `no error names ${name}`);
});

test('config/example.yaml writes every key of the schema, and only those', () => {
  const written = keyPaths(parse(EXAMPLE));
  const schema = schemaKeyPaths();
  assert.ok(schema.length > 40, 'the schema walk found the keys');
  assert.deepEqual([...written].sort(), [...schema].sort());
});

test('config/example.yaml comments every key on the line(s) just above it', () => {
  const lines = EXAMPLE.split('\n');
  lines.forEach((line, i) => {
    if (!/^\s*(- )?[a-z_]+:/.test(line)) return;
    const previous = lines[i - 1]?.trim() ?? '';
    assert.ok(previous.startsWith('#'), `line ${i + 1} "${line.trim()}" has no comment above it`);
  });
});

test('docs/configuration.md lists every env variable and every key', () => {
  for (const name of ALL_ENV_NAMES) assert.ok(DOCS.includes(`| \`${name}\` |`), `docs lack the env variable ${name}`);
  for (const variable of [...ENV_SCALARS, ...ENV_DEFAULT_BOT]) {
    const key = variable.key.replace('bots[default]', 'bots[id=default]');
    assert.ok(DOCS.includes(`| \`${variable.name}\` | \`${key}\` |`), `docs pair ${variable.name} with another key than ${key}`);
  }
  for (const key of schemaKeyPaths()) assert.ok(DOCS.includes(`| \`${key}\` |`), `docs lack the key ${key}`);
});

test('every key of the schema has a fix hint, and no hint names a key that is gone', () => {
  const schema = new Set(schemaKeyPaths());
  for (const key of schema) assert.ok(KEY_HINTS[key], `no hint for ${key}`);
  for (const key of Object.keys(KEY_HINTS)) assert.ok(schema.has(key), `hint for unknown key ${key}`);
});

test('the routes example in docs/configuration.md is config/example.yaml\'s routes of the same names', () => {
  const block = /## Маршруты \/ Routes[\s\S]*?```yaml\n([\s\S]*?)```/.exec(DOCS)?.[1];
  assert.ok(block, 'docs/configuration.md shows a routes example');
  type Route = { name?: string };
  const shown = (parse(block) as { routes: Route[] }).routes;
  const example = (parse(EXAMPLE) as { routes: Route[] }).routes;
  assert.ok(shown.length >= 4);
  for (const route of shown) assert.deepEqual(example.find((r) => r.name === route.name), route, `route ${route.name}`);
  const order = (routes: Route[]) => routes.map((r) => r.name).filter((name) => shown.some((s) => s.name === name));
  assert.deepEqual(order(example), order(shown), 'in the same order');
});
