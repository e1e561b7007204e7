// Measures what the cache buys: `npx tsx examples/precompute-cache/measure-latency.ts [http://127.0.0.1:8000]`
// against a running example. For each of the 50 largest cities it asks for a day nobody asked for yet
// (computed on the request, then cached) and then the same day again (served from the cache).
import { selectCities } from './cities.js';

const base = process.argv[2] ?? 'http://127.0.0.1:8000';
const timed = async (path: string): Promise<{ ms: number; source: string }> => {
  const t = performance.now();
  const res = await fetch(`${base}${path}`);
  const body = (await res.json()) as { source?: string };
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, source: body.source ?? '?' };
};
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms (n=${s.length})`;
};

const year = 2040 + Math.floor(Math.random() * 50); // a year no earlier run cached
const samples = { panchangam: { computed: [] as number[], cache: [] as number[] }, festivals: { computed: [] as number[], cache: [] as number[] } };
await timed('/panchangam/mumbai'); // warm up the connection and the city list
for (const [i, city] of selectCities('IN_TOP50').entries()) {
  const date = `${year}-${String((i % 12) + 1).padStart(2, '0')}-15`;
  for (const path of [`/panchangam/${city.name}?date=${date}`, `/panchangam/${city.name}?date=${date}`]) {
    const r = await timed(path);
    samples.panchangam[r.source as 'computed' | 'cache'].push(r.ms);
  }
  for (const path of [`/festivals/${city.name}/${year}/${(i % 12) + 1}`, `/festivals/${city.name}/${year}/${(i % 12) + 1}`]) {
    const r = await timed(path);
    samples.festivals[r.source as 'computed' | 'cache'].push(r.ms);
  }
}
for (const [kind, s] of Object.entries(samples)) {
  console.log(`${kind.padEnd(10)} computed: ${stats(s.computed)}; from cache: ${stats(s.cache)}`);
}
