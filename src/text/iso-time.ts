/**
 * `new Date(ms).toISOString()` without the Date: a report of a million
 * sources formats two times per source, and a Date per time cost more than
 * the rest of the source's fields. Times from 1970 to 9999 (integral ms) are
 * formatted here from the day number (Hinnant's civil-from-days); anything
 * else goes to Date, so the text (and a RangeError for NaN) is always Date's.
 */

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: the last time with a four-digit year. */
const LAST_4_DIGIT_MS = 253_402_300_799_999;

const PAD2: string[] = [];
for (let i = 0; i < 100; i++) PAD2.push(i < 10 ? `0${i}` : String(i));
const PAD3: string[] = [];
for (let i = 0; i < 1000; i++) PAD3.push(i < 10 ? `00${i}` : i < 100 ? `0${i}` : String(i));

/** The `YYYY-MM-DDT` of the last day formatted: most times of a report fall on a few days. */
let lastDay = -1;
let lastDate = '';

/** `YYYY-MM-DDT` of a day number since 1970-01-01 (0 <= day). */
function dateOf(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${PAD2[m] as string}-${PAD2[d] as string}T`;
}

/** ISO 8601 UTC with milliseconds, exactly as Date#toISOString gives it. */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms <= LAST_4_DIGIT_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDate = dateOf(day);
  }
  let t = ms - day * DAY_MS;
  const milli = t % 1000;
  t = (t - milli) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  return `${lastDate}${PAD2[hour] as string}:${PAD2[min] as string}:${PAD2[sec] as string}.${PAD3[milli] as string}Z`;
}
