/** A time in the reader's locale and zone, the exact instant on hover and for machines. */
export function When({ iso }: { iso: string | null }) {
  if (iso === null) return <span className="unset">—</span>;
  const at = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
}
