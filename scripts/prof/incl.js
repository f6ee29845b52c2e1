// Inclusive time per function of a .cpuprofile. Usage: node scripts/prof/incl.js FILE [REGEX] [N]
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8')); const re = new RegExp(process.argv[3] ?? '.');
const byId = new Map(p.nodes.map(n => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const t = new Map(); p.samples.forEach((s, i) => t.set(s, (t.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber}`;
const incl = new Map();
for (const [id, dt] of t) { const seen = new Set(); for (let q = id; q; q = parent.get(q)) { const k = name(byId.get(q)); if (seen.has(k)) continue; seen.add(k); incl.set(k, (incl.get(k) ?? 0) + dt); } }
for (const [k, v] of [...incl].filter(([k]) => re.test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 40))) console.log((v/1000).toFixed(1).padStart(8), k);
