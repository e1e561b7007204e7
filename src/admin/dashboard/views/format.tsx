import type { JobState } from '../../../core/job.js';

/** Dates render as UTC text inside <time datetime>; dashboard.js rewrites them to the browser's zone and adds "ago". */
export function Time(props: { at: Date | null | undefined; relative?: boolean }) {
  if (!props.at) return <span class="muted">—</span>;
  const iso = props.at.toISOString();
  return (
    <time datetime={iso} data-relative={props.relative ? '1' : undefined} title={iso}>
      {iso.slice(0, 19).replace('T', ' ')} UTC
    </time>
  );
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** A fire time as the schedule's own zone reads it: `Mon 23 Nov 03:00 Europe/Berlin`. */
export function inZone(at: Date, timeZone: string): string {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    zoneFormats.set(timeZone, f);
  }
  return `${f.format(at).replace(',', '')} ${timeZone}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ${m % 60} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

export function StateBadge(props: { state: JobState | string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

/** Compact JSON for a table cell, cut at `max` characters. */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'undefined';
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Readable JSON for a <pre>, cut at 200 000 characters so a 1 MiB payload does not become a 5 MiB page. */
export const PRETTY_MAX_CHARS = 200_000;
export function pretty(value: unknown): { text: string; truncated: boolean } {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? 'undefined';
  } catch {
    text = String(value);
  }
  if (text.length <= PRETTY_MAX_CHARS) return { text, truncated: false };
  return { text: text.slice(0, PRETTY_MAX_CHARS), truncated: true };
}

export function JsonBlock(props: { value: unknown; label: string }) {
  const { text, truncated } = pretty(props.value);
  return (
    <div class="json">
      <pre aria-label={props.label}>{text}</pre>
      {truncated ? <p class="muted">Shown up to {PRETTY_MAX_CHARS.toLocaleString('en')} characters; the API returns all of it.</p> : null}
    </div>
  );
}

export function num(n: number): string {
  return n.toLocaleString('en');
}
