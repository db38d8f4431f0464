/**
 * A request's signal that aborts after a timeout or with the caller's signal,
 * held strongly until released (used for every outgoing HTTP request, the
 * emulators' deliveries included).
 */

/**
 * The signal of one exchange: aborted after `timeoutMs` or when the caller's signal aborts.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), signal])`: on Node 20 nothing holds that
 * composite strongly (its sources keep dependants through weak references, the timeout's timer
 * keeps its signal through one, and fetch only follows the signal it is given), so a garbage
 * collection during the request collected it and neither the timeout nor the caller's abort
 * reached fetch — a request the other side never answered then hung for good (the chaos run's
 * line flush waited 254 s on a 3 s Bitrix24 timeout, its job lease renewed all along). Here the
 * timer's closure and the caller's listener hold the controller until `release()`.
 */
export function abortOnTimeoutOrSignal(timeoutMs: number, signal: AbortSignal | undefined): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
