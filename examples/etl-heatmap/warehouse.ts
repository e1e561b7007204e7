// The example's data: CSV files dropped into incoming/ (the stand-in for the upstream source),
// loaded by the ETL into `readings`, and aggregated per level and day into `heatmap_cells`.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface EtlResult {
  files: number;
  rowsLoaded: number;
  rowsRejected: number;
}

export interface HeatmapResult {
  level: string;
  date: string;
  sum: number;
}

/** Cell edge in degrees at `level`: 0.1° (≈ 11 km) at level 1, halved at each level. */
export const cellSize = (level: number) => 0.1 / 2 ** (level - 1);

export class Warehouse {
  readonly db: Database.Database;
  readonly incoming: string;
  private readonly processed: string;

  constructor(dataDir: string) {
    this.incoming = join(dataDir, 'incoming');
    this.processed = join(dataDir, 'processed');
    mkdirSync(this.incoming, { recursive: true });
    mkdirSync(this.processed, { recursive: true });
    this.db = new Database(join(dataDir, 'warehouse.db'), { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS etl_files (name TEXT NOT NULL, sha256 TEXT PRIMARY KEY, rows_loaded INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, loaded_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, date TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, value REAL NOT NULL, file_sha256 TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS readings_by_date ON readings (date);
      CREATE TABLE IF NOT EXISTS heatmap_cells (level INTEGER NOT NULL, date TEXT NOT NULL, cell_lat REAL NOT NULL, cell_lon REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (level, date, cell_lat, cell_lon));`);
  }

  /**
   * Extract every CSV in incoming/ (`ts,lat,lon,value`), drop invalid rows, load the rest; one
   * transaction per file. A file's hash is recorded with its rows, so a file seen again (a crash
   * between the commit and the move, or the same export dropped twice) is not loaded twice.
   */
  runEtl(now: Date, signal?: AbortSignal): EtlResult {
    const result: EtlResult = { files: 0, rowsLoaded: 0, rowsRejected: 0 };
    const insert = this.db.prepare('INSERT INTO readings (ts, date, lat, lon, value, file_sha256) VALUES (?, ?, ?, ?, ?, ?)');
    for (const name of readdirSync(this.incoming).filter((n) => n.endsWith('.csv')).sort()) {
      signal?.throwIfAborted();
      const text = readFileSync(join(this.incoming, name), 'utf8');
      const sha256 = createHash('sha256').update(text).digest('hex');
      this.db.transaction(() => {
        if (this.db.prepare('SELECT 1 FROM etl_files WHERE sha256 = ?').get(sha256)) return;
        let loaded = 0;
        let rejected = 0;
        for (const line of text.split(/\r?\n/).slice(1)) {
          if (!line.trim()) continue;
          const row = parseRow(line);
          if (!row) {
            rejected++;
            continue;
          }
          insert.run(row.ts, row.ts.slice(0, 10), row.lat, row.lon, row.value, sha256);
          loaded++;
        }
        this.db.prepare('INSERT INTO etl_files (name, sha256, rows_loaded, rows_rejected, loaded_at) VALUES (?, ?, ?, ?, ?)').run(name, sha256, loaded, rejected, now.toISOString());
        result.files++;
        result.rowsLoaded += loaded;
        result.rowsRejected += rejected;
      })();
      renameSync(join(this.incoming, name), join(this.processed, name));
    }
    return result;
  }

  /** Rebuilds the heatmap of one level and UTC day from the loaded readings; returns its total. */
  buildHeatmap(level: string, date: string): HeatmapResult {
    const size = cellSize(Number(level));
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM heatmap_cells WHERE level = ? AND date = ?').run(Number(level), date);
      this.db
        .prepare(
          `INSERT INTO heatmap_cells (level, date, cell_lat, cell_lon, sum, count)
           SELECT ?, date, round(floor(lat / ? + 1e-9) * ?, 9), round(floor(lon / ? + 1e-9) * ?, 9), sum(value), count(*)
           FROM readings WHERE date = ? GROUP BY 3, 4`,
        )
        .run(Number(level), size, size, size, size, date); // 1e-9: 19.2 / 0.1 is 191.999… in binary floating point
    })();
    const { sum } = this.db.prepare('SELECT coalesce(sum(sum), 0) AS sum FROM heatmap_cells WHERE level = ? AND date = ?').get(Number(level), date) as { sum: number };
    return { level, date, sum };
  }

  close(): void {
    this.db.close();
  }
}

function parseRow(line: string): { ts: string; lat: number; lon: number; value: number } | null {
  const [ts, lat, lon, value] = line.split(',').map((s) => s.trim());
  const t = Date.parse(ts ?? '');
  const [la, lo, v] = [Number(lat), Number(lon), Number(value)];
  if (Number.isNaN(t) || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180) || !Number.isFinite(v) || v < 0 || lat === '' || value === '') return null;
  return { ts: new Date(t).toISOString(), lat: la, lon: lo, value: v };
}
