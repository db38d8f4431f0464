import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateMaxTypes, MAX_TYPES_PATH } from '../../../scripts/gen-max-types.ts';

test('src/max/types.ts is exactly what the generator makes from spec/max/openapi.yaml', async () => {
  assert.equal(readFileSync(MAX_TYPES_PATH, 'utf8'), await generateMaxTypes(), 'stale: run `npm run gen:max-types`');
});
