/**
 * @module http/admin/components/time — times as people read them: one line, in a zone, with the
 * zone's abbreviation (`EAT`, `IST`, `EDT`; `GMT+3` only where no common abbreviation exists),
 * and UTC in the tooltip.
 */

const PROBE_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-KE', 'en-AU', 'en-NZ', 'en-ZA', 'en-NG'];

function zoneName(locale: string, zone: string, at: Date, style: 'short' | 'long'): string {
  return new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: style }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

const abbreviations = new Map<string, string>();

/**
 * The abbreviation of `zone` at `at` (summer and winter differ): the first English locale that
 * names it with letters, else the initials of its long name ("Nepal Time" → "NPT" is not derivable,
 * so short names of one word keep the offset form).
 */
export function zoneAbbreviation(zone: string, at: Date): string {
  const key = `${zone} ${zoneName('en-US', zone, at, 'long')}`;
  const known = abbreviations.get(key);
  if (known) {
    return known;
  }
  let found = '';
  for (const locale of PROBE_LOCALES) {
    const short = zoneName(locale, zone, at, 'short');
    if (/^[A-Z]{2,5}$/.test(short)) {
      found = short;
      break;
    }
  }
  if (!found) {
    const words = zoneName('en-US', zone, at, 'long').split(/\s+/).filter((w) => /^[A-Z]/.test(w));
    found = words.length >= 3 ? words.map((w) => w[0]).join('') : zoneName('en-GB', zone, at, 'short');
  }
  abbreviations.set(key, found);
  return found;
}

/** "4 Dec 2026, 09:00 EAT" */
export function formatTime(at: Date, zone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return `${text} ${zoneAbbreviation(zone, at)}`;
}

/** A time in the project's zone with its abbreviation, on one line; the tooltip gives UTC. */
export function Time(props: { at: string | Date | null; zone: string }): JSX.Element {
  if (!props.at) {
    return <span class="muted">—</span>;
  }
  const date = typeof props.at === 'string' ? new Date(props.at) : props.at;
  return (
    <time class="nowrap" datetime={date.toISOString()} title={`${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`} safe>
      {formatTime(date, props.zone)}
    </time>
  );
}
