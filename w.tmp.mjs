import { parentPort } from 'node:worker_threads';
try { const m = await import('./h.tmp.ts'); parentPort.postMessage('direct ok ' + m.hello(2)); }
catch (e) { parentPort.postMessage('direct fail ' + e.code);
  const api = await import('tsx/esm/api');
  api.register();
  try { const m = await import('./h.tmp.ts?x'); parentPort.postMessage('after register ' + m.hello(3)); } catch (e2) { parentPort.postMessage('reg fail ' + e2.message); }
}
