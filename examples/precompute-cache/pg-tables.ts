// The seed's optional PostgreSQL copy (DATABASE_URL): `PanchangDay` and `FestivalDay`, for
// historical queries and as a backup of the cache. `pg` is loaded only when DATABASE_URL is set.
import type { Pool } from 'pg';
import type { Festival, PanchangDay } from './panchang.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS "PanchangDay" (
    id bigserial PRIMARY KEY, city text NOT NULL, date date NOT NULL,
    latitude double precision NOT NULL, longitude double precision NOT NULL,
    data jsonb NOT NULL, computed_at timestamptz NOT NULL DEFAULT now(), UNIQUE (city, date));
  CREATE INDEX IF NOT EXISTS "PanchangDay_date_lat_lon" ON "PanchangDay" (date, latitude, longitude);
  CREATE TABLE IF NOT EXISTS "FestivalDay" (
    id bigserial PRIMARY KEY, city text NOT NULL, date date NOT NULL, name text NOT NULL,
    type text NOT NULL, region text NOT NULL, tithi text, UNIQUE (city, date, name));
  CREATE INDEX IF NOT EXISTS "FestivalDay_date" ON "FestivalDay" (date);
  CREATE INDEX IF NOT EXISTS "FestivalDay_type" ON "FestivalDay" (type);
  CREATE INDEX IF NOT EXISTS "FestivalDay_region" ON "FestivalDay" (region);`;

export class PanchangTables {
  private constructor(private readonly pool: Pool) {}

  static async open(databaseUrl: string): Promise<PanchangTables> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    try {
      await pool.query(SCHEMA);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PanchangTables(pool);
  }

  /** Upserts one city's days and festivals in one transaction (a re-run replaces, never duplicates). */
  async save(city: string, days: PanchangDay[], festivals: Festival[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "PanchangDay" (city, date, latitude, longitude, data)
         SELECT $1, d.date, $2, $3, d.data FROM jsonb_to_recordset($4::jsonb) AS d(date date, data jsonb)
         ON CONFLICT (city, date) DO UPDATE SET data = excluded.data, latitude = excluded.latitude, longitude = excluded.longitude, computed_at = now()`,
        [city, days[0]?.latitude ?? 0, days[0]?.longitude ?? 0, JSON.stringify(days.map((d) => ({ date: d.date, data: d })))],
      );
      await client.query(
        `INSERT INTO "FestivalDay" (city, date, name, type, region, tithi)
         SELECT $1, f.date, f.name, f.type, f.region, f.tithi FROM jsonb_to_recordset($2::jsonb) AS f(date date, name text, type text, region text, tithi text)
         ON CONFLICT (city, date, name) DO UPDATE SET type = excluded.type, region = excluded.region, tithi = excluded.tithi`,
        [city, JSON.stringify(festivals)],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
