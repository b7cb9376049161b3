/** "5 minutes ago" for the last week, the date and time after that; the exact time on hover. */
export function RelativeTime({ iso, now }: { iso: string; now: number }) {
  const at = new Date(iso);
  const seconds = Math.round((at.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  let words = at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  if (Math.abs(seconds) < 60) words = 'just now';
  else if (Math.abs(seconds) < 7 * 86_400) {
    const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size)!;
    words = rtf.format(Math.round(seconds / size), unit);
  }
  return (
    <time dateTime={iso} title={at.toLocaleString()}>
      {words}
    </time>
  );
}
