import { describe, it } from 'vitest';
import type { Store } from '../store.js';

export interface SkipRule {
  /** Why these tests do not apply to this store. Required, and printed. */
  reason: string;
  /** Test ids, `"<area> > <title>"` as printed by the suite. */
  tests: string[];
}

export interface StoreConformanceOptions {
  /** Shown in the describe block, e.g. `sqlite (file)`. */
  name: string;
  /** A fresh, migrated, empty store; the suite closes it after each test. */
  createStore: () => Promise<Store>;
  skip?: SkipRule[];
}

export type StoreTest = (store: Store) => Promise<void>;
export type Define = (title: string, fn: StoreTest) => void;

interface Collected {
  area: string;
  title: string;
  fn: StoreTest;
}

/**
 * Collects the suite's tests first (so skips can be checked against the real
 * ids before vitest sees anything), then registers them.
 */
export class Harness {
  private readonly skips = new Map<string, string>();
  private readonly tests: Collected[] = [];

  constructor(private readonly options: StoreConformanceOptions) {
    for (const rule of options.skip ?? []) {
      if (typeof rule.reason !== 'string' || rule.reason.trim() === '') {
        throw new Error(`store conformance (${options.name}): every skip needs a reason (tests: ${rule.tests.join(', ')})`);
      }
      for (const id of rule.tests) this.skips.set(id, rule.reason);
    }
  }

  collect(area: string, register: (test: Define) => void): void {
    register((title, fn) => {
      if (this.tests.some((t) => t.area === area && t.title === title)) throw new Error(`store conformance: duplicate test "${area} > ${title}"`);
      this.tests.push({ area, title, fn });
    });
  }

  /** Refuses skips naming no test (a typo would hide nothing), then registers describe/it blocks. */
  register(): void {
    const ids = new Set(this.tests.map((t) => `${t.area} > ${t.title}`));
    const unknown = [...this.skips.keys()].filter((id) => !ids.has(id));
    if (unknown.length > 0) {
      throw new Error(`store conformance (${this.options.name}): skip names unknown tests: ${unknown.map((u) => `"${u}"`).join(', ')}`);
    }
    const areas = [...new Set(this.tests.map((t) => t.area))];
    describe(`store conformance: ${this.options.name}`, () => {
      for (const area of areas) {
        describe(area, () => {
          for (const t of this.tests.filter((x) => x.area === area)) this.registerOne(t);
        });
      }
    });
  }

  private registerOne({ area, title, fn }: Collected): void {
    const id = `${area} > ${title}`;
    const reason = this.skips.get(id);
    if (reason !== undefined) {
      // Printed, so a skipped guarantee is never silent.
      process.stderr.write(`[store conformance: ${this.options.name}] skipped "${id}": ${reason}\n`);
      it.skip(`${title} [skipped: ${reason}]`, () => {});
      return;
    }
    it(title, async () => {
      const store = await this.options.createStore();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });
  }
}
