// The transform hook worker when the bridge runs from source (tsx: tests, CLIs):
// a worker thread does not inherit the parent's tsx loader (Node 20), so this plain
// module loads hook-worker.ts through tsx's scoped import and re-exports its handler.
// The bundle (`npm start`) runs dist/transform-hook-worker.mjs instead (src/transform/hook-runner.ts).
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./hook-worker.ts', import.meta.url);
export default worker.default;
