/** The success envelope of Bitrix24 REST (spec §1): result + time (with operating figures). */
export function timeBlock(startedMs: number, operating: { operating: number; resetAt: number }) {
  const finishedMs = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  return {
    start: startedMs / 1000,
    finish: finishedMs / 1000,
    duration: (finishedMs - startedMs) / 1000,
    processing: (finishedMs - startedMs) / 1000,
    date_start: iso(startedMs),
    date_finish: iso(finishedMs),
    operating_reset_at: operating.resetAt,
    operating: operating.operating,
  };
}
