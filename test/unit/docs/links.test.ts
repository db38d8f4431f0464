/**
 * The documentation is read from a checkout of this repository (or its page on the forge):
 * every link and every path it names must lead to a file inside the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative link targets `[text](target)` and backticked relative paths (`../x/y.md`). */
function referencedPaths(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
  const ticked = [...markdown.matchAll(/`(\.{1,2}\/[^`\s]+)`/g)].map((m) => m[1] as string);
  return [...links, ...ticked].map((t) => t.replace(/#.*$/, '')).filter((t) => t !== '');
}

test('the documentation links no file outside the repository, and every linked file exists', () => {
  const problems: string[] = [];
  for (const page of PAGES) {
    for (const target of referencedPaths(readFileSync(join(ROOT, page), 'utf8'))) {
      const absolute = target.startsWith('/') ? target : resolve(ROOT, dirname(page), target);
      const inside = relative(ROOT, absolute);
      if (target.startsWith('/') || inside.startsWith('..')) problems.push(`${page}: ${target} is outside the repository`);
      else if (!existsSync(absolute)) problems.push(`${page}: ${target} does not exist`);
    }
  }
  assert.deepEqual(problems, []);
});
