// A panchangam (Hindu almanac day) from real Sun and Moon positions (astronomy-engine).
// The five limbs are read at local sunrise, as almanacs do: tithi (Moon − Sun elongation in 12° steps),
// nakshatra (sidereal Moon in 13°20′ steps), yoga (sidereal Sun + Moon in 13°20′ steps) and karana
// (half tithis); vara is the weekday. Sidereal longitudes use the Lahiri ayanamsa (linear
// approximation, good to well under an arcminute for this century).
import { Body, EclipticGeoMoon, MoonPhase, Observer, SearchMoonPhase, SearchRiseSet, SearchSunLongitude, SunPosition, MakeTime } from 'astronomy-engine';

export interface Place {
  name: string;
  latitude: number;
  longitude: number;
}

export interface Limb {
  number: number; // 1-based
  name: string;
  /** When this limb ends (ISO, UTC); the next one begins. */
  endsAt: string | null;
}

export interface PanchangDay {
  city: string;
  date: string; // local date, YYYY-MM-DD
  timezone: typeof TIMEZONE;
  latitude: number;
  longitude: number;
  vara: string;
  sunrise: string | null;
  sunset: string | null;
  moonrise: string | null;
  moonset: string | null;
  paksha: 'Shukla' | 'Krishna';
  tithi: Limb;
  nakshatra: Limb;
  yoga: Limb;
  karana: Limb;
  ayanamsa: number;
}

export interface Festival {
  date: string;
  name: string;
  type: 'vrat' | 'sankranti';
  region: 'all-india';
  tithi: string | null;
}

export const TIMEZONE = 'Asia/Kolkata';
const IST_OFFSET_MS = 5.5 * 3600_000; // India has one zone and no DST
const DAY_MS = 86_400_000;

const TITHIS = ['Pratipada', 'Dwitiya', 'Tritiya', 'Chaturthi', 'Panchami', 'Shashthi', 'Saptami', 'Ashtami', 'Navami', 'Dashami', 'Ekadashi', 'Dwadashi', 'Trayodashi', 'Chaturdashi'];
const NAKSHATRAS = ['Ashwini', 'Bharani', 'Krittika', 'Rohini', 'Mrigashira', 'Ardra', 'Punarvasu', 'Pushya', 'Ashlesha', 'Magha', 'Purva Phalguni', 'Uttara Phalguni', 'Hasta', 'Chitra', 'Swati', 'Vishakha', 'Anuradha', 'Jyeshtha', 'Mula', 'Purva Ashadha', 'Uttara Ashadha', 'Shravana', 'Dhanishta', 'Shatabhisha', 'Purva Bhadrapada', 'Uttara Bhadrapada', 'Revati'];
const YOGAS = ['Vishkambha', 'Priti', 'Ayushman', 'Saubhagya', 'Shobhana', 'Atiganda', 'Sukarman', 'Dhriti', 'Shula', 'Ganda', 'Vriddhi', 'Dhruva', 'Vyaghata', 'Harshana', 'Vajra', 'Siddhi', 'Vyatipata', 'Variyana', 'Parigha', 'Shiva', 'Siddha', 'Sadhya', 'Shubha', 'Shukla', 'Brahma', 'Indra', 'Vaidhriti'];
const MOVABLE_KARANAS = ['Bava', 'Balava', 'Kaulava', 'Taitila', 'Garaja', 'Vanija', 'Vishti'];
const VARAS = ['Ravivara', 'Somavara', 'Mangalavara', 'Budhavara', 'Guruvara', 'Shukravara', 'Shanivara'];
const RASHIS = ['Mesha', 'Vrishabha', 'Mithuna', 'Karka', 'Simha', 'Kanya', 'Tula', 'Vrishchika', 'Dhanu', 'Makara', 'Kumbha', 'Meena'];
const SEGMENT = 360 / 27;

/** Lahiri ayanamsa in degrees at `date`: 23°51′11″ at J2000, precessing 50.29″ a year. */
export function lahiriAyanamsa(date: Date): number {
  const years = (date.getTime() - Date.UTC(2000, 0, 1, 12)) / (365.25 * DAY_MS);
  return 23.85306 + (years * 50.2788) / 3600;
}

const norm = (deg: number) => ((deg % 360) + 360) % 360;
const moonSidereal = (d: Date) => norm(EclipticGeoMoon(d).lon - lahiriAyanamsa(d));
const sunSidereal = (d: Date) => norm(SunPosition(d).elon - lahiriAyanamsa(d));
const yogaLongitude = (d: Date) => norm(moonSidereal(d) + sunSidereal(d));

/** The first instant after `start` at which the increasing angle `f` passes `target` (1-hour steps, then bisection to ~1 min). */
function searchAngle(f: (d: Date) => number, target: number, start: Date, maxHours: number): Date | null {
  const ahead = (d: Date) => norm(f(d) - target + 180) - 180; // < 0 before target, ≥ 0 after (near it)
  let lo = start.getTime();
  for (let h = 1; h <= maxHours; h++) {
    const hi = start.getTime() + h * 3600_000;
    if (ahead(new Date(lo)) < 0 && ahead(new Date(hi)) >= 0) {
      let a = lo;
      let b = hi;
      while (b - a > 60_000) {
        const m = (a + b) / 2;
        if (ahead(new Date(m)) < 0) a = m;
        else b = m;
      }
      return new Date(b);
    }
    lo = hi;
  }
  return null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** Midnight at the start of local date `date` (YYYY-MM-DD) in India, as a UTC instant. */
export function localMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - IST_OFFSET_MS);
}

/** The local date (YYYY-MM-DD) in India of instant `ms`. */
export function localDate(ms: number): string {
  return new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

function riseSet(body: Body, observer: Observer, direction: 1 | -1, from: Date): Date | null {
  const t = SearchRiseSet(body, observer, direction, MakeTime(from), 1);
  return t ? t.date : null;
}

function sunriseOf(place: Place, date: string): Date {
  const observer = new Observer(place.latitude, place.longitude, 0);
  // India lies between 8° and 37° N: the Sun always rises, so null would be a bug.
  return riseSet(Body.Sun, observer, +1, localMidnight(date)) ?? localMidnight(date);
}

function tithiIndexAt(d: Date): number {
  return Math.floor(MoonPhase(d) / 12); // 0..29
}

function tithiName(index: number): string {
  if (index === 14) return 'Purnima';
  if (index === 29) return 'Amavasya';
  return `${index < 15 ? 'Shukla' : 'Krishna'} ${TITHIS[index % 15]}`;
}

function karanaName(index: number): string {
  if (index === 0) return 'Kimstughna';
  if (index >= 57) return ['Shakuni', 'Chatushpada', 'Naga'][index - 57]!;
  return MOVABLE_KARANAS[(index - 1) % 7]!;
}

/** The panchangam of `place` on local date `date` (YYYY-MM-DD, India). */
export function computePanchang(place: Place, date: string): PanchangDay {
  const observer = new Observer(place.latitude, place.longitude, 0);
  const midnight = localMidnight(date);
  const sunrise = sunriseOf(place, date);
  const phase = MoonPhase(sunrise);
  const tithi = Math.floor(phase / 12);
  const karana = Math.floor(phase / 6);
  const nakshatra = Math.floor(moonSidereal(sunrise) / SEGMENT);
  const yoga = Math.floor(yogaLongitude(sunrise) / SEGMENT);
  return {
    city: place.name,
    date,
    timezone: TIMEZONE,
    latitude: place.latitude,
    longitude: place.longitude,
    vara: VARAS[new Date(`${date}T00:00:00Z`).getUTCDay()]!,
    sunrise: iso(sunrise),
    sunset: iso(riseSet(Body.Sun, observer, -1, sunrise)),
    moonrise: iso(riseSet(Body.Moon, observer, +1, midnight)),
    moonset: iso(riseSet(Body.Moon, observer, -1, midnight)),
    paksha: tithi < 15 ? 'Shukla' : 'Krishna',
    tithi: { number: tithi + 1, name: tithiName(tithi), endsAt: iso(SearchMoonPhase(((tithi + 1) * 12) % 360, sunrise, 2)?.date) },
    nakshatra: { number: nakshatra + 1, name: NAKSHATRAS[nakshatra]!, endsAt: iso(searchAngle(moonSidereal, ((nakshatra + 1) * SEGMENT) % 360, sunrise, 36)) },
    yoga: { number: yoga + 1, name: YOGAS[yoga]!, endsAt: iso(searchAngle(yogaLongitude, ((yoga + 1) * SEGMENT) % 360, sunrise, 36)) },
    karana: { number: karana + 1, name: karanaName(karana), endsAt: iso(SearchMoonPhase(((karana + 1) * 6) % 360, sunrise, 1)?.date) },
    ayanamsa: Math.round(lahiriAyanamsa(sunrise) * 1e4) / 1e4,
  };
}

/** Monthly observances of `place` in `year`-`month` (1-12): from the tithi at each sunrise and the Sun's sidereal sign changes. */
export function computeFestivals(place: Place, year: number, month: number): Festival[] {
  const festivals: Festival[] = [];
  const first = `${year}-${String(month).padStart(2, '0')}-01`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  for (let i = 0; i < days; i++) {
    const date = addDays(first, i);
    const sunrise = sunriseOf(place, date);
    const index = tithiIndexAt(sunrise);
    const vrat = VRATS[index];
    if (vrat) festivals.push({ date, name: vrat, type: 'vrat', region: 'all-india', tithi: tithiName(index) });
  }
  // Sankranti: the Sun enters a sidereal sign (the tropical target moves with the ayanamsa).
  const start = localMidnight(first);
  const end = localMidnight(addDays(first, days));
  const sign = Math.floor(sunSidereal(start) / 30);
  for (const s of [sign + 1, sign + 2]) {
    const target = norm((s % 12) * 30 + lahiriAyanamsa(start));
    const t = SearchSunLongitude(target, start, 40)?.date;
    if (t && t < end) festivals.push({ date: localDate(t.getTime()), name: `${RASHIS[s % 12]} Sankranti`, type: 'sankranti', region: 'all-india', tithi: null });
  }
  return festivals.sort((a, b) => a.date.localeCompare(b.date) || a.name.localeCompare(b.name));
}

/** Observances fixed by the tithi at sunrise (index 0..29). */
const VRATS: Record<number, string> = {
  3: 'Vinayaka Chaturthi',
  10: 'Ekadashi',
  12: 'Pradosh Vrat',
  14: 'Purnima',
  18: 'Sankashti Chaturthi',
  25: 'Ekadashi',
  27: 'Pradosh Vrat',
  29: 'Amavasya',
};
