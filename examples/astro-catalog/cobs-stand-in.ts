/**
 * A local stand-in for the COBS comet list API (https://cobs.si/api/comet_list.api),
 * so the example runs without network access: the same query parameters
 * (`cur-mag`, `is-active`, `is-observed`, `page`) and the same response shape
 * (`{ info: { count, page, pages }, objects: [...] }`, magnitudes as strings).
 * The records are real comets with approximate, illustrative values.
 */
import { Hono } from 'hono';

export interface CobsComet {
  id: number;
  type: 'C' | 'P' | 'I' | 'D';
  name: string;
  fullname: string;
  mpc_name: string;
  icq_name: string;
  component: string | null;
  current_mag: string;
  perihelion_date: string;
  perihelion_mag: string;
  peak_mag: string;
  peak_mag_date: string;
  is_observed: boolean;
  is_active: boolean;
}

type Row = [id: number, type: CobsComet['type'], name: string, fullname: string, icq: string, currentMag: number, perihelion: string, perihelionMag: number, peakMag: number, peakDate: string, observed: boolean, active: boolean];

// prettier-ignore
const ROWS: Row[] = [
  [1745, 'C', 'C/2025 A6', 'C/2025 A6 (Lemmon)', '2025A6', 9.8, '2025-11-08', 4.6, 4.3, '2025-10-25', true, true],
  [1762, 'C', 'C/2025 R2', 'C/2025 R2 (SWAN)', '2025R2', 11.6, '2025-09-12', 6.2, 5.9, '2025-09-20', true, true],
  [1758, 'I', '3I', '3I/ATLAS', '0003I', 12.8, '2025-10-29', 10.2, 9.5, '2025-11-05', true, true],
  [1702, 'C', 'C/2024 E1', 'C/2024 E1 (Wierzchos)', '2024E1', 9.2, '2026-01-20', 7.1, 7.0, '2026-01-25', true, true],
  [311, 'P', '24P', '24P/Schaumasse', '0024', 10.1, '2026-01-08', 8.9, 8.8, '2026-01-12', true, true],
  [822, 'P', '210P', '210P/Christensen', '0210', 13.5, '2025-11-22', 8.4, 8.0, '2025-11-20', true, true],
  [1766, 'C', 'C/2025 K1', 'C/2025 K1 (ATLAS)', '2025K1', 13.2, '2025-10-08', 8.3, 8.0, '2025-10-10', true, true],
  [36, 'P', '29P', '29P/Schwassmann-Wachmann', '0029', 14.6, '2019-03-07', 12.5, 10.5, '2023-12-05', true, true],
  [1590, 'C', 'C/2024 G3', 'C/2024 G3 (ATLAS)', '2024G3', 15.7, '2025-01-13', -3.8, -3.8, '2025-01-13', true, true],
  [1455, 'C', 'C/2021 S3', 'C/2021 S3 (PANSTARRS)', '2021S3', 16.5, '2024-02-14', 7.6, 7.5, '2024-03-01', true, true],
  [14, 'P', '12P', '12P/Pons-Brooks', '0012', 16.9, '2024-04-21', 4.6, 4.5, '2024-04-15', true, true],
  [1558, 'C', 'C/2023 A3', 'C/2023 A3 (Tsuchinshan-ATLAS)', '2023A3', 17.9, '2024-09-27', 2.8, -4.9, '2024-10-09', true, true],
  [15, 'P', '13P', '13P/Olbers', '0013', 19.5, '2024-06-30', 6.9, 6.5, '2024-07-05', true, true],
  [88, 'P', '62P', '62P/Tsuchinshan', '0062', 19.8, '2023-12-25', 8.6, 8.5, '2024-01-01', true, true],
  [3, 'P', '2P', '2P/Encke', '0002', 20.1, '2023-10-22', 6.9, 6.5, '2023-10-15', true, true],
  [420, 'P', '144P', '144P/Kushida', '0144', 20.5, '2024-01-25', 8.6, 8.5, '2024-01-30', true, true],
  [1383, 'C', 'C/2022 E3', 'C/2022 E3 (ZTF)', '2022E3', 21.0, '2023-01-12', 5.2, 4.6, '2023-02-01', true, false],
  [1, 'P', '1P', '1P/Halley', '0001', 25.5, '1986-02-09', 3.2, 2.4, '1986-04-11', false, false],
];

export const STAND_IN_COMETS: readonly CobsComet[] = ROWS.map(([id, type, name, fullname, icq, cur, peri, periMag, peak, peakDate, observed, active]) => ({
  id, type, name, fullname, mpc_name: fullname, icq_name: icq, component: null,
  current_mag: cur.toFixed(1), perihelion_date: peri, perihelion_mag: periMag.toFixed(1),
  peak_mag: peak.toFixed(1), peak_mag_date: peakDate, is_observed: observed, is_active: active,
}));

/** Small, so that the client's paging is exercised with a handful of comets. */
export const COBS_PAGE_SIZE = 5;

/** The stand-in API, to mount at `/stand-in/cobs/api`. */
export function cobsStandIn(): Hono {
  const app = new Hono();
  app.get('/comet_list.api', (c) => {
    const q = c.req.query();
    const maxMag = q['cur-mag'] === undefined ? Infinity : Number(q['cur-mag']);
    const page = q.page === undefined ? 1 : Number(q.page);
    if (Number.isNaN(maxMag) || !Number.isInteger(page) || page < 1) return c.json({ code: 400, message: 'invalid cur-mag or page' }, 400);
    const flag = (v: string | undefined) => (v === undefined ? undefined : v === 'true');
    const active = flag(q['is-active']);
    const observed = flag(q['is-observed']);
    const matches = STAND_IN_COMETS.filter(
      (x) => Number(x.current_mag) <= maxMag && (active === undefined || x.is_active === active) && (observed === undefined || x.is_observed === observed),
    ).sort((a, b) => Number(a.current_mag) - Number(b.current_mag));
    const pages = Math.max(1, Math.ceil(matches.length / COBS_PAGE_SIZE));
    return c.json({ info: { count: matches.length, page, pages }, objects: matches.slice((page - 1) * COBS_PAGE_SIZE, page * COBS_PAGE_SIZE) });
  });
  return app;
}
