'use strict';
// Load generator, run in its own process: signed batches with unique ids through autocannon.
const autocannon = require('autocannon');
const { createEventSource, signBody } = require('./payloads');

/** Nearest-rank percentile of sorted latencies (ms). */
const percentile = (sorted, p) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]) : null);

process.once('message', async ({ url, duration, connections, eventsPerRequest, secret, idPrefix }) => {
  // This process's CPU over the run (bodies made and signed, answers read): the load generator's share of the cores.
  const cpu = process.cpuUsage();
  const nextItem = createEventSource(idPrefix);
  const statusCounts = {};
  // A connection's first answer also waits for the server to accept() it, and a busy Node process accepts
  // one connection per turn of its event loop: those are kept apart from the answers on open connections.
  const connected = new WeakSet();
  const onOpenConnections = [];
  const instance = autocannon({
    url,
    duration,
    connections,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        setupRequest(request) {
          const items = new Array(eventsPerRequest);
          for (let i = 0; i < eventsPerRequest; i++) items[i] = nextItem();
          const body = JSON.stringify({ delivery_status: items });
          request.body = body;
          request.headers = { 'content-type': 'application/json', 'x-netcore-signature': signBody(body, secret) };
          return request;
        },
        onResponse(status) {
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        },
      },
    ],
  });
  instance.on('response', (client, _status, _bytes, responseTime) => {
    if (connected.has(client)) onOpenConnections.push(responseTime);
    else connected.add(client);
  });
  const result = await instance;
  onOpenConnections.sort((a, b) => a - b);
  const { user, system } = process.cpuUsage(cpu);
  process.send({
    cpuSec: (user + system) / 1e6,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    duration: result.duration,
    statusCounts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    openConnectionLatency: { p50: percentile(onOpenConnections, 50), p99: percentile(onOpenConnections, 99), max: percentile(onOpenConnections, 100) },
  });
  process.exit(0);
});
