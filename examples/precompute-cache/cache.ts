// The precompute cache: Redis when REDIS_URL is set, else a table in docket's own SQLite file.
// Both keep the seed's key formats and expirations; only the storage differs.
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type { Clock } from 'docket';

export interface CacheEntry {
  key: string;
  value: unknown;
  ttlSeconds: number;
}

export interface Cache {
  readonly kind: 'redis' | 'sqlite';
  get<T>(key: string): Promise<T | null>;
  setMany(entries: CacheEntry[]): Promise<void>;
  /** Seconds to live, or null for a missing key. */
  ttl(key: string): Promise<number | null>;
  /** Keys starting with `prefix` (the seed's "Clear Cache" walks `panchangam:*` and `festivals:*`). */
  keys(prefix: string): Promise<string[]>;
  deletePrefix(prefix: string): Promise<number>;
  close(): Promise<void>;
}

export const TTL = {
  panchangam: 7 * 86_400,
  festivals: 30 * 86_400,
  summary: 24 * 3_600,
} as const;

export const keys = {
  panchangam: (city: string, date: string) => `panchangam:${city}:${date}`,
  festivals: (city: string, year: number, month: number) => `festivals:${city}:${year}:${String(month).padStart(2, '0')}`,
  summary: 'precompute:summary',
};

export class RedisCache implements Cache {
  readonly kind = 'redis';
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  }

  async get<T>(key: string): Promise<T | null> {
    const raw = await this.redis.get(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async setMany(entries: CacheEntry[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.set(e.key, JSON.stringify(e.value), 'EX', e.ttlSeconds);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async ttl(key: string): Promise<number | null> {
    const t = await this.redis.ttl(key);
    return t < 0 ? null : t;
  }

  async keys(prefix: string): Promise<string[]> {
    // SCAN, not KEYS: it does not block a busy server.
    const found: string[] = [];
    for await (const batch of this.redis.scanStream({ match: `${prefix}*`, count: 1_000 })) found.push(...(batch as string[]));
    return found.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    const found = await this.keys(prefix);
    return found.length ? this.redis.del(...found) : 0;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** A cache table in docket's SQLite file; expiry follows the Docket's clock (so a ManualClock test can age it). */
export class SqliteCache implements Cache {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;

  constructor(
    path: string,
    private readonly clock: Clock,
  ) {
    this.db = new Database(path, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS precompute_cache (
      key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`);
  }

  async get<T>(key: string): Promise<T | null> {
    const row = this.db.prepare('SELECT value FROM precompute_cache WHERE key = ? AND expires_at > ?').get(key, this.clock.now()) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }

  async setMany(entries: CacheEntry[]): Promise<void> {
    const now = this.clock.now();
    const upsert = this.db.prepare('INSERT INTO precompute_cache (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM precompute_cache WHERE expires_at <= ?').run(now);
      for (const e of entries) upsert.run(e.key, JSON.stringify(e.value), now + e.ttlSeconds * 1_000);
    })();
  }

  async ttl(key: string): Promise<number | null> {
    const now = this.clock.now();
    const row = this.db.prepare('SELECT expires_at FROM precompute_cache WHERE key = ? AND expires_at > ?').get(key, now) as { expires_at: number } | undefined;
    return row ? Math.round((row.expires_at - now) / 1_000) : null;
  }

  async keys(prefix: string): Promise<string[]> {
    const rows = this.db.prepare('SELECT key FROM precompute_cache WHERE substr(key, 1, ?) = ? AND expires_at > ? ORDER BY key').all(prefix.length, prefix, this.clock.now()) as { key: string }[];
    return rows.map((r) => r.key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    return this.db.prepare('DELETE FROM precompute_cache WHERE substr(key, 1, ?) = ?').run(prefix.length, prefix).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
