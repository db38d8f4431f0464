/**
 * `npm run build` (and the first step of `npm start`): bundles the bridge's
 * TypeScript into plain ES modules under dist/ with esbuild (~0.1 s), packages
 * left as imports. Running plain JS instead of the tsx loader saves ~50 MB of
 * resident memory and the loader's start-up; `npm test` keeps running the
 * sources through tsx. Type checking is `npm run typecheck`, not this.
 */
import process from 'node:process';
import { build } from 'esbuild';

// `--outdir <dir>`: tests build into a directory of their own.
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : 'dist';

await build({
  entryPoints: {
    start: 'src/cli/start.ts',
    'bench-bridge-server': 'bench/processes/bridge-server.ts',
    // Loaded by file name in worker threads (src/transform/hook-runner.ts finds it next to start.mjs).
    'transform-hook-worker': 'src/transform/hook-worker.ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  logLevel: 'warning',
});
