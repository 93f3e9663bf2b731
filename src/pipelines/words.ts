/** Schedules in words (pure; tested in jest): cron while typing, fire times on the zone's wall clock. */
import cronstrue from 'cronstrue';

/** Words for a cron expression while it is typed; '' when cronstrue cannot read it (the server says why). */
export function cronWords(cron: string): string {
  try {
    return cronstrue.toString(cron, { throwExceptionOnParseError: true, use24HourTimeFormat: true, verbose: false });
  } catch {
    return '';
  }
}

/** "Mon 2026-12-07 06:00 (+01:00)" from a zone-aware ISO time, as the zone's wall clock. */
export function formatLocal(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(iso);
  if (!match) {
    return iso;
  }
  const [, date, time, offset] = match;
  const weekday = new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', timeZone: 'UTC' });
  return `${weekday} ${date} ${time} (${offset === 'Z' || !offset ? 'UTC' : offset})`;
}
