// Self time per function of a .cpuprofile. Usage: node scripts/prof/top.js FILE [N]
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
const dt = p.timeDeltas; const counts = new Map();
for (let i = 0; i < p.samples.length; i++) counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
let total = 0;
for (const [id, t] of counts) { const n = byId.get(id); const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); total += t; }
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 30));
for (const [k, t] of top) console.log((t / 1000).toFixed(1).padStart(8), 'ms', (100 * t / total).toFixed(1).padStart(5) + '%', k);
console.log('total', (total / 1000).toFixed(0), 'ms');
