/**
 * Client of the COBS comet list API: all pages of active comets brighter than
 * a magnitude, validated. Requests carry the job's AbortSignal. A response that
 * does not look like COBS is a PermanentError: retrying will not fix it, while
 * network trouble and 5xx are thrown as plain errors and retried.
 */
import { PermanentError } from 'docket';
import { z } from 'zod';

const magnitude = z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number);
const comet = z.object({
  id: z.number().int(),
  type: z.string(),
  name: z.string().min(1),
  fullname: z.string().min(1),
  current_mag: magnitude,
  perihelion_date: z.string().nullable(),
  peak_mag: magnitude.nullable(),
  peak_mag_date: z.string().nullable(),
  is_observed: z.boolean(),
  is_active: z.boolean(),
});
const page = z.object({ info: z.object({ count: z.number().int(), page: z.number().int(), pages: z.number().int().min(1) }), objects: z.array(comet) });

export type Comet = z.output<typeof comet>;

/** Safety net against a misbehaving API. */
const MAX_PAGES = 50;

export async function fetchComets(apiUrl: string, maxMagnitude: number, signal: AbortSignal, onPage?: (page: number, pages: number) => void): Promise<Comet[]> {
  const comets: Comet[] = [];
  for (let n = 1, pages = 1; n <= pages && n <= MAX_PAGES; n++) {
    const url = new URL(`${apiUrl.replace(/\/$/, '')}/comet_list.api`);
    url.search = new URLSearchParams({ 'cur-mag': String(maxMagnitude), 'is-active': 'true', page: String(n) }).toString();
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]), headers: { accept: 'application/json' } });
    if (!res.ok) {
      await res.body?.cancel();
      const message = `COBS answered ${res.status} for ${url.pathname}${url.search}`;
      throw res.status >= 500 || res.status === 429 ? new Error(message) : new PermanentError(message);
    }
    const parsed = page.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new PermanentError(`unexpected COBS response: ${parsed.error.issues[0]?.message}`);
    comets.push(...parsed.data.objects);
    pages = parsed.data.info.pages;
    onPage?.(n, pages);
  }
  return comets;
}
