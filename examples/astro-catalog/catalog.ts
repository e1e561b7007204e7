/**
 * The app's own comet catalog (AstroPlanner's targets table), in an SQLite
 * file beside docket's. `lastSeenAt` is when an update last found the comet in
 * COBS; cleanup removes comets not seen for `daysOld` days.
 */
import Database from 'better-sqlite3';
import type { Comet } from './cobs.js';

export interface CatalogComet {
  cobsId: number;
  name: string;
  fullname: string;
  type: string;
  currentMag: number;
  perihelionDate: string | null;
  peakMag: number | null;
  peakMagDate: string | null;
  isObserved: boolean;
  firstSeenAt: string;
  lastSeenAt: string;
}

export class CometCatalog {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS comets (
      cobs_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, fullname TEXT NOT NULL, type TEXT NOT NULL,
      current_mag REAL NOT NULL, perihelion_date TEXT, peak_mag REAL, peak_mag_date TEXT, is_observed INTEGER NOT NULL,
      first_seen_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL)`);
  }

  /** Inserts new comets and refreshes known ones, in one transaction. */
  upsert(comets: Comet[], at: Date): { added: number; updated: number } {
    const exists = this.db.prepare('SELECT 1 FROM comets WHERE cobs_id = ?').pluck();
    const write = this.db.prepare(`INSERT INTO comets VALUES (@id, @name, @fullname, @type, @current_mag, @perihelion_date, @peak_mag, @peak_mag_date, @observed, @at, @at)
      ON CONFLICT (cobs_id) DO UPDATE SET name = excluded.name, fullname = excluded.fullname, type = excluded.type, current_mag = excluded.current_mag,
        perihelion_date = excluded.perihelion_date, peak_mag = excluded.peak_mag, peak_mag_date = excluded.peak_mag_date,
        is_observed = excluded.is_observed, last_seen_at = excluded.last_seen_at`);
    return this.db.transaction(() => {
      let added = 0;
      for (const c of comets) {
        if (!exists.get(c.id)) added++;
        write.run({ ...c, observed: c.is_observed ? 1 : 0, at: at.getTime() });
      }
      return { added, updated: comets.length - added };
    })();
  }

  /** Deletes comets no update has seen since `cutoff`; returns how many. */
  deleteNotSeenSince(cutoff: Date): number {
    return this.db.prepare('DELETE FROM comets WHERE last_seen_at < ?').run(cutoff.getTime()).changes;
  }

  list(): CatalogComet[] {
    const rows = this.db.prepare('SELECT * FROM comets ORDER BY current_mag').all() as Array<Record<string, number | string | null>>;
    return rows.map((r) => ({
      cobsId: r.cobs_id as number, name: r.name as string, fullname: r.fullname as string, type: r.type as string,
      currentMag: r.current_mag as number, perihelionDate: r.perihelion_date as string | null, peakMag: r.peak_mag as number | null,
      peakMagDate: r.peak_mag_date as string | null, isObserved: r.is_observed === 1,
      firstSeenAt: new Date(r.first_seen_at as number).toISOString(), lastSeenAt: new Date(r.last_seen_at as number).toISOString(),
    }));
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM comets').pluck().get() as number;
  }

  close(): void {
    this.db.close();
  }
}
