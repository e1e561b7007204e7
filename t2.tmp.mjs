import { Worker } from 'node:worker_threads';
const w = new Worker(new URL('./w.tmp.mjs', import.meta.url));
w.on('message', (m) => console.log('msg', m));
w.on('error', (e) => console.log('err', e.message));
w.on('exit', (c) => console.log('exit', c));
