/** Display formats, in the person's own locale. */

/** "2:59 PM" or "14:59" as the locale writes it, without a leading zero on the hour. */
export function timeOfDay(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** "last seen today at 2:59 PM", "… yesterday at …", or with the date when older. */
export function lastSeen(iso: string, now = new Date()): string {
  const days = Math.round((startOfDay(now) - startOfDay(new Date(iso))) / 86_400_000);
  const when =
    days === 0
      ? 'today'
      : days === 1
        ? 'yesterday'
        : `on ${new Date(iso).toLocaleDateString(undefined, {
            day: 'numeric',
            month: 'short',
            year: new Date(iso).getFullYear() === now.getFullYear() ? undefined : 'numeric',
          })}`;
  return `last seen ${when} at ${timeOfDay(iso)}`;
}

/** "Today", "Yesterday", or a date, for day separators. */
export function dayLabel(iso: string, now = new Date()): string {
  const day = startOfDay(new Date(iso));
  const today = startOfDay(now);
  const days = Math.round((today - day) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return new Date(iso).toLocaleDateString(undefined, {
    weekday: days < 7 ? 'long' : undefined,
    day: 'numeric',
    month: 'long',
    year: new Date(iso).getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** Short time for the conversation list: the time today, else the date. */
export function listTime(iso: string, now = new Date()): string {
  return dayKey(iso) === dayKey(now.toISOString())
    ? timeOfDay(iso)
    : new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts.at(-1)] : [name.trim()];
  return letters
    .map((part) => [...(part ?? '')].slice(0, parts.length > 1 ? 1 : 2).join(''))
    .join('')
    .toUpperCase();
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}
