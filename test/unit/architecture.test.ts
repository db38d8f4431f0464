/**
 * The layering rules of docs/architecture.md, checked on the source so they
 * cannot rot: only src/store/ writes SQL; dependencies point down (nothing in
 * the pipeline, the sides, the queue or the store imports the HTTP layer);
 * src/domain/ is pure; the two sides never import each other; only the id
 * codecs take an id apart. Reads the files as text (imports via TypeScript's
 * own pre-processor, so comments and strings are not mistaken for imports).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `src/…` path of a file. */
const srcPath = (file: string) => relative(ROOT, file).split('\\').join('/');

/** What a file imports: `src/…` paths for relative imports, the specifier itself for packages. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map(({ fileName }) => (fileName.startsWith('.') ? srcPath(resolve(dirname(file), fileName)) : fileName));
}

const FILES = sourceFiles(SRC);
const under = (folder: string) => FILES.filter((f) => srcPath(f).startsWith(`src/${folder}/`));

/** Lines of `files` matching `pattern`, as `path:line: text`. */
function matching(files: string[], pattern: RegExp): string[] {
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (pattern.test(line) ? [`${srcPath(file)}:${i + 1}: ${line.trim()}`] : [])));
}

test('no SQL outside src/store: the pipeline calls repository methods, never store.db or a query builder', () => {
  const outsideStore = FILES.filter((f) => !srcPath(f).startsWith('src/store/'));
  // The issue's own check, and the shapes a query takes through a transaction handle.
  assert.deepEqual(matching(under('bridge'), /store\.db\b|\.db\.(select|insert|update|delete)/), []);
  assert.deepEqual(matching(outsideStore, /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\.transaction\(\)\.execute|\bsql`/), []);
  const kysely = outsideStore.filter((f) => importsOf(f).includes('kysely')).map(srcPath);
  assert.deepEqual(kysely, [], 'Kysely is imported only by src/store/');
});

test('nothing under src/bridge, src/max, src/bitrix24, src/queue or src/store imports from src/http', () => {
  const offenders = ['bridge', 'max', 'bitrix24', 'queue', 'store'].flatMap((folder) => under(folder))
    .flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/http/')).map((i) => `${srcPath(f)} → ${i}`));
  assert.deepEqual(offenders, []);
});

test('src/domain imports nothing outside src/domain (Node built-ins only)', () => {
  const offenders = under('domain').flatMap((f) => importsOf(f)
    .filter((i) => !(i.startsWith('src/domain/') || i.startsWith('node:')))
    .map((i) => `${srcPath(f)} → ${i}`));
  assert.deepEqual(offenders, []);
});

test('the MAX side and the Bitrix24 side never import each other', () => {
  const offenders = [
    ...under('max').flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/bitrix24/')).map((i) => `${srcPath(f)} → ${i}`)),
    ...under('bitrix24').flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/max/')).map((i) => `${srcPath(f)} → ${i}`)),
  ];
  assert.deepEqual(offenders, []);
});

test('only the id codecs (src/domain/ids.ts) take an id apart at ":"', () => {
  const others = FILES.filter((f) => srcPath(f) !== 'src/domain/ids.ts');
  assert.deepEqual(matching(others, /(lastIndexOf|indexOf|split)\(':'\)/), []);
});

test('src/doctor uses the layers below it (config, store, the sides\' clients), never those that run it (runtime, http, admin, cli) nor the pipelines', () => {
  const above = ['src/runtime/', 'src/http/', 'src/admin/', 'src/cli/', 'src/bridge/'];
  const offenders = under('doctor').flatMap((f) => importsOf(f).filter((i) => above.some((a) => i.startsWith(a))).map((i) => `${srcPath(f)} → ${i}`));
  assert.deepEqual(offenders, []);
});
