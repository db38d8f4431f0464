/**
 * The worker-thread half of a route's transform hook (piscina runs it for
 * src/transform/hook-runner.ts): loads the integrator's ES module by absolute
 * path, once per path and thread, and calls its `transformInbound(message,
 * context)` or `transformOutbound(message, context)`, sync or async.
 *
 * - the function is not exported → `unchanged`;
 * - it returns `null` → `dropped` (the bridge does not carry the message);
 * - it returns a message (checked by parseTransformMessage) → `changed`, or
 *   `unchanged` when it equals the input;
 * - it throws, rejects, returns anything else (`undefined` included), or the
 *   module does not load → `failed` with the reason.
 *
 * A hook that never returns is the runner's to stop (it terminates this thread).
 * A changed hook file takes effect on restart: a module, once loaded, is kept.
 */
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { parseTransformMessage, sameTransformMessage, type TransformContext, type TransformMessage } from '../domain/transform/transform-message.ts';
import { hookErrorText } from './hook-error-text.ts';

export type HookDirection = 'inbound' | 'outbound';

/** One call of a hook, as posted to the worker. */
export interface HookWorkerTask {
  /** Absolute path of the integrator's ES module (.mjs, or .js in a `"type": "module"` package). */
  modulePath: string;
  direction: HookDirection;
  message: TransformMessage;
  context: TransformContext;
  /** Told `started` when this thread takes the task: the runner's clock for `timeoutMs` starts then. */
  started?: MessagePort;
}

export type HookWorkerResult =
  | { kind: 'changed'; message: TransformMessage }
  | { kind: 'unchanged' }
  | { kind: 'dropped'; reason: string }
  | { kind: 'failed'; reason: string };

export const HOOK_FUNCTION: Record<HookDirection, string> = { inbound: 'transformInbound', outbound: 'transformOutbound' };

const modules = new Map<string, Promise<Record<string, unknown>>>();

function load(modulePath: string): Promise<Record<string, unknown>> {
  let loading = modules.get(modulePath);
  if (!loading) {
    loading = import(pathToFileURL(modulePath).href) as Promise<Record<string, unknown>>;
    modules.set(modulePath, loading);
    // A module that failed to load (not there yet, a syntax error) is tried again next time.
    loading.catch(() => modules.delete(modulePath));
  }
  return loading;
}

export default async function runHook(task: HookWorkerTask): Promise<HookWorkerResult> {
  task.started?.postMessage('started');
  let hookModule: Record<string, unknown>;
  try {
    hookModule = await load(task.modulePath);
  } catch (error) {
    return { kind: 'failed', reason: `could not load hook module ${task.modulePath}: ${hookErrorText(error)}` };
  }
  const name = HOOK_FUNCTION[task.direction];
  const hook = hookModule[name];
  if (hook === undefined) return { kind: 'unchanged' };
  if (typeof hook !== 'function') return { kind: 'failed', reason: `${name} is exported but is not a function` };
  let returned: unknown;
  try {
    // A copy: a hook that edits its argument and returns it must still compare as changed.
    returned = await (hook as (m: TransformMessage, c: TransformContext) => unknown)(structuredClone(task.message), task.context);
  } catch (error) {
    return { kind: 'failed', reason: `${name} threw: ${hookErrorText(error)}` };
  }
  if (returned === null) return { kind: 'dropped', reason: 'hook returned null' };
  const parsed = parseTransformMessage(returned);
  if (!parsed.ok) return { kind: 'failed', reason: `${name} returned a malformed message: ${parsed.problem} (return the message, or null to drop it)` };
  return sameTransformMessage(parsed.message, task.message) ? { kind: 'unchanged' } : { kind: 'changed', message: parsed.message };
}
