/**
 * How figures read in the UI. Pure (no DOM) so the end-to-end tests format the API's numbers
 * with the same functions and compare text to text.
 */

/** Up to 3 significant digits, no trailing zeros: 1.5, 12.3, 120, 0.25. */
function significant(value: number): string {
  if (value === 0) return '0';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

/** A duration or an amount of CPU time given in nanoseconds: "0 ms", "450 µs", "12.3 ms", "2.01 s", "3.5 min", "2 h", "1.5 d". */
export function formatNs(ns: number): string {
  const abs = Math.abs(ns);
  if (abs === 0) return '0 ms';
  if (abs < 1_000) return `${significant(ns)} ns`;
  if (abs < 1_000_000) return `${significant(ns / 1_000)} µs`;
  if (abs < 999_500_000) return `${significant(ns / 1_000_000)} ms`;
  if (abs < 59_950_000_000) return `${significant(ns / 1_000_000_000)} s`;
  if (abs < 3_597_000_000_000) return `${significant(ns / 60_000_000_000)} min`;
  if (abs < 86_400_000_000_000) return `${significant(ns / 3_600_000_000_000)} h`;
  return `${significant(ns / 86_400_000_000_000)} d`;
}

/** A share in [0, 1] as a percentage: "34.3%", "100%", "<0.1%". */
export function formatShare(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  if (share < 0.001) return '<0.1%';
  return `${Number((share * 100).toFixed(1))}%`;
}

/** Share of a part in a total, safe for a zero total. */
export const shareOf = (part: number, total: number): number => (total > 0 ? part / total : 0);

/** Average CPU cores used over a bucket: CPU nanoseconds / bucket nanoseconds. */
export function formatCores(cores: number): string {
  // Three significant digits at any scale, so neighbouring axis ticks (0.01, 0.015) stay apart.
  return String(Number(cores.toPrecision(3)));
}

/** "14:05:09" for today's times, "Jun 3, 14:05" otherwise, in the browser's time zone. */
export function formatClock(epochMs: number, now: number = Date.now()): string {
  const date = new Date(epochMs);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
    : date.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
      });
}

/** A step in seconds as words: "10 s", "1 min", "1 h". */
export function formatStep(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Label of an endpoint (null: CPU that carried no endpoint label). */
export const endpointLabel = (endpoint: string | null): string => endpoint ?? '(no endpoint label)';

/** A value of a measure in its unit: durations as formatNs, bytes in KiB/MiB/GiB, anything else as a number and its unit. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'nanoseconds') return formatNs(value);
  if (unit === 'bytes') {
    const abs = Math.abs(value);
    if (abs < 1024) return `${value} B`;
    if (abs < 1024 ** 2) return `${significant(value / 1024)} KiB`;
    if (abs < 1024 ** 3) return `${significant(value / 1024 ** 2)} MiB`;
    return `${significant(value / 1024 ** 3)} GiB`;
  }
  return `${significant(value)} ${unit}`;
}

/** How a measure is named on screen: `cpu` → "CPU", `wall` → "Wall", `lock-wait` → "Lock wait", else its `type/unit`. */
export function measureLabel(measure: string): string {
  return { cpu: 'CPU', wall: 'Wall', 'lock-wait': 'Lock wait' }[measure] ?? measure;
}
