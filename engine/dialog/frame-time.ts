/** drachtio's frame time: UTC time of day as `HH:MM:SS.uuuuuu` (microseconds, zero-padded). */
export function frameTime(d: Date = new Date()): string {
  const p2 = (n: number): string => (n < 10 ? '0' : '') + String(n);
  const us = d.getUTCMilliseconds() * 1000;
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(us).padStart(6, '0')}`;
}
