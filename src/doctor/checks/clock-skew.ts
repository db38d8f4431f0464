/**
 * `clock.skew`: this machine's clock against MAX's and Bitrix24's, read from the `Date`
 * headers of the answers the other checks got (date-headers.ts). Bitrix24's access tokens
 * carry their expiry as an absolute time: a clock minutes off makes the bridge use expired
 * tokens or refresh needlessly, and the journal's and the reports' times drift from the sides'.
 * A `Date` header has whole seconds: a reading is good to about a second plus half its round trip.
 */
import type { DateHeaders, DateReading, DateSide } from '../date-headers.ts';
import { failed, ok, skip, warned, words, type CheckResult } from '../result.ts';

const ID = 'clock.skew';

/** Beyond this the clock is worth fixing. */
export const SKEW_WARN_MS = 30_000;
/** Beyond this OAuth breaks (tokens used after they expired, refreshed too early). */
export const SKEW_FAIL_MS = 5 * 60_000;

const SIDE_NAMES: Record<DateSide, { ru: string; en: string }> = { max: { ru: 'MAX', en: 'MAX' }, bitrix24: { ru: 'Битрикс24', en: 'Bitrix24' } };

/** A Date header is the server's time cut to the second: on average half a second behind it. */
const TRUNCATION_MS = 500;

function seconds(ms: number): string {
  return (Math.round(ms / 100) / 10).toFixed(1);
}

export function skewOf(reading: DateReading): number {
  return reading.serverMs + TRUNCATION_MS - reading.ourMs;
}

const SYNC_FIX = words(
  'Включите синхронизацию времени: timedatectl set-ntp true (systemd-timesyncd) или chrony; проверьте: timedatectl status («System clock synchronized: yes»). В контейнере время берётся у хоста — настройте его там.',
  'Turn time synchronisation on: timedatectl set-ntp true (systemd-timesyncd) or chrony; check with timedatectl status ("System clock synchronized: yes"). A container takes the host\'s time: set it up there.',
);

export function clockSkewChecks(headers: DateHeaders): CheckResult[] {
  const results: CheckResult[] = [];
  for (const side of ['max', 'bitrix24'] as const) {
    const name = SIDE_NAMES[side];
    const readings = headers.list().filter((r) => r.side === side);
    if (readings.length === 0) {
      results.push(skip(ID, name.en, words(`Не проверено: ${name.ru} не ответил ни на один запрос с заголовком Date.`, `Not checked: ${name.en} answered no call with a Date header.`)));
      continue;
    }
    // The quickest answer says the most: the least time between our two readings of the clock.
    const best = readings.reduce((a, b) => (b.roundTripMs < a.roundTripMs ? b : a));
    const skewMs = skewOf(best);
    const marginMs = TRUNCATION_MS + best.roundTripMs / 2;
    const details = { host: best.host, skew_ms: Math.round(skewMs), margin_ms: Math.round(marginMs), readings: readings.length };
    const direction = skewMs > 0 ? words('отстают от', 'behind') : words('спешат относительно', 'ahead of');
    const how = words(`часы этой машины ${direction.ru} ${name.ru} (${best.host}) на ${seconds(Math.abs(skewMs))} с`, `this machine's clock is ${seconds(Math.abs(skewMs))} s ${direction.en} ${name.en} (${best.host})`);
    if (Math.abs(skewMs) > SKEW_FAIL_MS) {
      results.push(failed(ID, name.en, words(`${how.ru[0]?.toUpperCase()}${how.ru.slice(1)}: больше 5 минут — ключи OAuth Битрикс24 используются после истечения или обновляются раньше времени, время в журнале и отчётах сдвинуто.`,
        `${how.en[0]?.toUpperCase()}${how.en.slice(1)}: more than 5 minutes — Bitrix24's OAuth tokens get used after they expire or refreshed too early; times in the journal and reports are off.`), SYNC_FIX, details));
    } else if (Math.abs(skewMs) > SKEW_WARN_MS) {
      results.push(warned(ID, name.en, words(`${how.ru[0]?.toUpperCase()}${how.ru.slice(1)}: больше 30 секунд — время в журнале и отчётах расходится со сторонами; ещё немного, и начнутся ошибки OAuth.`,
        `${how.en[0]?.toUpperCase()}${how.en.slice(1)}: more than 30 seconds — times in the journal and reports differ from the sides'; a little more and OAuth errors begin.`), SYNC_FIX, details));
    } else {
      results.push(ok(ID, name.en, words(`Часы совпадают с ${name.ru} (${best.host}) с точностью до ${seconds(Math.max(Math.abs(skewMs), marginMs))} с.`, `The clock agrees with ${name.en} (${best.host}) within ${seconds(Math.max(Math.abs(skewMs), marginMs))} s.`), details));
    }
  }
  return results;
}
