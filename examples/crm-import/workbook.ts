// The CRM export: generating a realistic workbook for the example, and reading one row by row.
// Uses exceljs (streaming reader, so a large export is not loaded whole).
import { access, constants } from 'node:fs/promises';
import ExcelJS from 'exceljs';

export const SHEET = 'Contacts';
export const COLUMNS = ['Company', 'Contact Name', 'Email', 'Phone', 'Country', 'City', 'Industry', 'Deal Stage', 'Deal Value (USD)', 'Created On'] as const;
export type CrmRow = Record<(typeof COLUMNS)[number], string | number | null>;

const FIRST = ['Aisha', 'Omar', 'Priya', 'Rahul', 'Fatima', 'Youssef', 'Mei', 'Lucas', 'Sara', 'Daniel', 'Layla', 'Arjun', 'Noura', 'Kenji', 'Elena', 'Tariq', 'Hana', 'Mateo', 'Zainab', 'Ivan'];
const LAST = ['Al-Mansouri', 'Haddad', 'Sharma', 'Iyer', 'Khan', 'Benali', 'Chen', 'Silva', 'Rossi', 'Müller', 'Nasser', 'Patel', 'Al-Qahtani', 'Tanaka', 'Popescu', 'Aziz', 'Kim', 'García', 'Okafor', 'Petrov'];
const COMPANY_A = ['Gulf', 'Desert', 'Falcon', 'Oasis', 'Pearl', 'Horizon', 'Crescent', 'Summit', 'Harbor', 'Atlas'];
const COMPANY_B = ['Logistics', 'Trading', 'Holdings', 'Foods', 'Energy', 'Medical', 'Construction', 'Tech', 'Textiles', 'Shipping'];
const PLACES: [string, string, string][] = [
  ['United Arab Emirates', 'Dubai', '+971 4'],
  ['United Arab Emirates', 'Abu Dhabi', '+971 2'],
  ['Saudi Arabia', 'Riyadh', '+966 11'],
  ['Qatar', 'Doha', '+974 4'],
  ['Oman', 'Muscat', '+968 24'],
  ['India', 'Mumbai', '+91 22'],
  ['Egypt', 'Cairo', '+20 2'],
  ['Jordan', 'Amman', '+962 6'],
  ['United Kingdom', 'London', '+44 20'],
  ['Germany', 'Hamburg', '+49 40'],
];
const INDUSTRIES = ['Logistics', 'Retail', 'Healthcare', 'Construction', 'Energy', 'Hospitality', 'Finance', 'Manufacturing'];
const STAGES = ['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost'];

/** A small deterministic PRNG (mulberry32): the same seed gives the same workbook. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedWorkbook {
  rows: number;
  /** Rows that are a copy of an earlier row (some re-typed: other case, extra spaces). */
  duplicates: number;
  /** Rows without an email and a phone, which the import rejects. */
  invalid: number;
}

/** Writes a CRM export of `rows` rows, about 4% duplicates and 1% incomplete rows. */
export async function generateWorkbook(path: string, options: { rows?: number; seed?: number } = {}): Promise<GeneratedWorkbook> {
  const total = options.rows ?? 2_000;
  const random = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'docket crm-import example';
  const sheet = workbook.addWorksheet(SHEET);
  sheet.columns = COLUMNS.map((header) => ({ header, key: header, width: header.length + 12 }));
  sheet.getRow(1).font = { bold: true };
  const written: CrmRow[] = [];
  const stats: GeneratedWorkbook = { rows: total, duplicates: 0, invalid: 0 };
  for (let i = 0; i < total; i++) {
    let row: CrmRow;
    if (written.length > 10 && random() < 0.04) {
      // A duplicate, as CRM exports have them: the same contact entered twice, sometimes re-typed.
      const original = pick(written);
      row = { ...original };
      if (random() < 0.5) row['Email'] = ` ${String(original['Email']).toUpperCase()} `;
      if (random() < 0.5) row['Company'] = `${original['Company']}  `;
      stats.duplicates++;
    } else {
      const first = pick(FIRST);
      const last = pick(LAST);
      const company = `${pick(COMPANY_A)} ${pick(COMPANY_B)} ${['LLC', 'FZE', 'Ltd', 'Co.'][i % 4]}`;
      const [country, city, dial] = pick(PLACES);
      const domain = company.toLowerCase().replace(/[^a-z]+/g, '').slice(0, 18);
      const incomplete = random() < 0.01;
      row = {
        Company: company,
        'Contact Name': `${first} ${last}`,
        Email: incomplete ? null : `${first}.${last}.${i}@${domain}.example`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
        Phone: incomplete ? null : `${dial} ${String(Math.floor(random() * 9_000_000) + 1_000_000)}`,
        Country: country,
        City: city,
        Industry: pick(INDUSTRIES),
        'Deal Stage': pick(STAGES),
        'Deal Value (USD)': Math.round(random() * 500) * 1_000,
        'Created On': new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 900) * 86_400_000).toISOString().slice(0, 10),
      };
      if (incomplete) stats.invalid++;
      else written.push(row);
    }
    sheet.addRow(row);
  }
  await workbook.xlsx.writeFile(path);
  return stats;
}

/** The rows of the `Contacts` sheet as header → value records (header row first, then data). */
export async function* readRows(path: string): AsyncGenerator<CrmRow> {
  // exceljs's reader emits a missing file as an uncaught stream error, so check first.
  await access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the workbook ${path}: ${error.code ?? error.message}`);
  });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore' });
  let headers: string[] | null = null;
  for await (const sheet of reader) {
    for await (const row of sheet) {
      const values = (row.values as unknown[]).slice(1); // exceljs rows are 1-based
      if (!headers) {
        headers = values.map((v) => String(v ?? '').trim());
        const missing = COLUMNS.filter((c) => !headers!.includes(c));
        if (missing.length) throw new Error(`the workbook lacks column(s) ${missing.join(', ')}`);
        continue;
      }
      const record = {} as CrmRow;
      for (const column of COLUMNS) {
        const v = values[headers.indexOf(column)];
        record[column] = v === undefined || v === null || v === '' ? null : typeof v === 'number' ? v : v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
      }
      yield record;
    }
    return; // the first sheet is the export
  }
}
