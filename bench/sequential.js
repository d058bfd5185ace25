'use strict';
// node bench/sequential.js <port> [requests=200] [events=1]: one connection, one request at a time, against a
// running server (e.g. started with --cpu-prof): the cost of one request without queueing, for profiling.
const http = require('node:http');
const { createEventSource, signBody } = require('./support/payloads');

const [port, n = '200', events = '1'] = process.argv.slice(2);
const N = Number(n);
const secret = process.env.NETCORE_WEBHOOK_SECRET ?? 'bench-secret-0b7e';
const next = createEventSource(`s${Date.now().toString(36)}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post() {
  const body = JSON.stringify({ delivery_status: Array.from({ length: Number(events) }, next) });
  const headers = { 'content-type': 'application/json', 'x-netcore-signature': signBody(body, secret) };
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const request = http.request({ port: Number(port), path: '/webhooks/netcore', method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`HTTP ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

(async () => {
  const times = [];
  for (let i = 0; i < N; i++) times.push(await post());
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(N - 1, Math.floor(N * q))].toFixed(2);
  process.stdout.write(`${N} requests of ${events} event(s): p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms\n`);
})();
