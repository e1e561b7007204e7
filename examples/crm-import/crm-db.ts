// The application's own database (crm.db, beside docket's store): imported contacts, the seed's
// `task_runs` history, and the monitored page's snapshots and detected changes.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { COLUMNS, type CrmRow } from './workbook.js';

export type TaskRunStatus = 'processing' | 'completed' | 'failed';

export interface TaskRun {
  id: number;
  name: string;
  idempotency_key: string;
  status: TaskRunStatus;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export class CrmDb {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS task_runs (
        id INTEGER PRIMARY KEY, name VARCHAR(128) NOT NULL, idempotency_key VARCHAR(255) NOT NULL,
        status VARCHAR(32) NOT NULL DEFAULT 'processing', last_error TEXT,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, UNIQUE (name, idempotency_key));
      CREATE TABLE IF NOT EXISTS crm_contacts (
        id INTEGER PRIMARY KEY, row_hash TEXT NOT NULL UNIQUE, company TEXT, contact_name TEXT, email TEXT, phone TEXT,
        country TEXT, city TEXT, industry TEXT, deal_stage TEXT, deal_value REAL, created_on TEXT, imported_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS page_snapshots (id INTEGER PRIMARY KEY, url TEXT NOT NULL, content_hash TEXT NOT NULL, entries TEXT NOT NULL, fetched_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS page_changes (id INTEGER PRIMARY KEY, url TEXT NOT NULL, detected_at TEXT NOT NULL, added TEXT NOT NULL, removed TEXT NOT NULL, modified TEXT NOT NULL);`);
  }

  // ------------------------------------------------------------ task_runs

  /** Marks a run `processing` (created on the first attempt, reused by retries: unique per name and key). */
  startRun(name: string, key: string, now: Date): void {
    this.db
      .prepare(`INSERT INTO task_runs (name, idempotency_key, status, created_at, updated_at) VALUES (?, ?, 'processing', ?, ?)
                ON CONFLICT (name, idempotency_key) DO UPDATE SET status = 'processing', updated_at = excluded.updated_at`)
      .run(name, key, now.toISOString(), now.toISOString());
  }

  finishRun(name: string, key: string, status: Exclude<TaskRunStatus, 'processing'>, lastError: string | null, now: Date): void {
    this.db.prepare('UPDATE task_runs SET status = ?, last_error = ?, updated_at = ? WHERE name = ? AND idempotency_key = ?').run(status, lastError, now.toISOString(), name, key);
  }

  taskRuns(): TaskRun[] {
    return this.db.prepare('SELECT * FROM task_runs ORDER BY id').all() as TaskRun[];
  }

  // ------------------------------------------------------------ contacts

  /** Inserts one batch in one transaction; a row whose hash is already stored is a duplicate. Returns how many were new. */
  insertContacts(rows: CrmRow[], now: Date): { inserted: number; duplicates: number } {
    const insert = this.db.prepare(`INSERT INTO crm_contacts (row_hash, company, contact_name, email, phone, country, city, industry, deal_stage, deal_value, created_on, imported_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (row_hash) DO NOTHING`);
    return this.db.transaction(() => {
      let inserted = 0;
      for (const r of rows) {
        const s = (c: (typeof COLUMNS)[number]) => (r[c] === null ? null : String(r[c]).trim().replace(/\s+/g, ' '));
        const dealValue = r['Deal Value (USD)'] === null ? null : Number(r['Deal Value (USD)']);
        inserted += insert.run(rowHash(r), s('Company'), s('Contact Name'), s('Email')?.toLowerCase() ?? null, s('Phone'), s('Country'), s('City'), s('Industry'), s('Deal Stage'), dealValue, s('Created On'), now.toISOString()).changes;
      }
      return { inserted, duplicates: rows.length - inserted };
    })();
  }

  contactCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM crm_contacts').get() as { n: number }).n;
  }

  // ------------------------------------------------------------ monitored page

  lastSnapshot(url: string): { contentHash: string; entries: Record<string, string> } | null {
    const row = this.db.prepare('SELECT content_hash, entries FROM page_snapshots WHERE url = ? ORDER BY id DESC LIMIT 1').get(url) as { content_hash: string; entries: string } | undefined;
    return row ? { contentHash: row.content_hash, entries: JSON.parse(row.entries) as Record<string, string> } : null;
  }

  saveSnapshot(url: string, contentHash: string, entries: Record<string, string>, change: { added: string[]; removed: string[]; modified: string[] } | null, now: Date): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO page_snapshots (url, content_hash, entries, fetched_at) VALUES (?, ?, ?, ?)').run(url, contentHash, JSON.stringify(entries), now.toISOString());
      if (change) {
        this.db.prepare('INSERT INTO page_changes (url, detected_at, added, removed, modified) VALUES (?, ?, ?, ?, ?)').run(url, now.toISOString(), JSON.stringify(change.added), JSON.stringify(change.removed), JSON.stringify(change.modified));
      }
    })();
  }

  changes(limit = 50): { id: number; url: string; detectedAt: string; added: string[]; removed: string[]; modified: string[] }[] {
    const rows = this.db.prepare('SELECT * FROM page_changes ORDER BY id DESC LIMIT ?').all(limit) as { id: number; url: string; detected_at: string; added: string; removed: string; modified: string }[];
    return rows.map((r) => ({ id: r.id, url: r.url, detectedAt: r.detected_at, added: JSON.parse(r.added), removed: JSON.parse(r.removed), modified: JSON.parse(r.modified) }));
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The duplicate key of a row: SHA-256 of every column, trimmed, inner spaces collapsed and lower
 * case, so the same contact typed twice with other spacing or capitals is one contact.
 */
export function rowHash(row: CrmRow): string {
  const normalized = COLUMNS.map((c) => (row[c] === null ? '' : String(row[c]).trim().replace(/\s+/g, ' ').toLowerCase()));
  return createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
}
