'use strict';
// node bench/profile-top.js <file.cpuprofile> [n]: self time by function, and by package/area, heaviest first.
const { readFileSync } = require('node:fs');

const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-top.js <file.cpuprofile> [n]\n');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
}
const sampled = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
// Shares of busy time: the server idles while the bench drives the bare app.
const total = sampled - idle;

function area(url) {
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  const d = /\/dist\/(.*)$/.exec(url);
  return d ? `ours: ${d[1].split('/').slice(0, -1).join('/') || d[1]}` : url;
}

const fnTotals = new Map();
const areaTotals = new Map();
for (const [id, us] of self) {
  const { callFrame: f } = byId.get(id);
  if (f.functionName === '(idle)') continue;
  const name = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${f.lineNumber + 1}` : ''}`;
  fnTotals.set(name, (fnTotals.get(name) ?? 0) + us);
  const a = area(f.url);
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(`sampled ${(sampled / 1e6).toFixed(1)} s, busy ${(total / 1e6).toFixed(1)} s; shares below are of busy time\n\nby area:\n`);
for (const [a, us] of [...areaTotals].sort((x, y) => y[1] - x[1]).slice(0, 15)) process.stdout.write(`${pct(us)}  ${a}\n`);
process.stdout.write('\nby function (self time):\n');
for (const [name, us] of [...fnTotals].sort((x, y) => y[1] - x[1]).slice(0, Number(n))) process.stdout.write(`${pct(us)}  ${name}\n`);

// Inclusive time of our own functions (dist/), to see which step of the pipeline costs what.
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { callFrame: f } = byId.get(cur);
    if (!/\/dist\//.test(f.url) && !/(typeorm\/(query-builder|entity-manager|data-source)|class-validator\/cjs\/validation\/Validator\.js|@nestjs\/core\/router\/router-execution|body-parser\/lib\/types)/.test(f.url)) continue;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
process.stdout.write('\ninclusive (ours and main library entry points):\n');
for (const [name, us] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, Number(n))) process.stdout.write(`${pct(us)}  ${name}\n`);
