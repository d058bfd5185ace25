'use strict';
// Load generator, run in its own process: signed batches with unique ids through autocannon.
const autocannon = require('autocannon');
const { createEventSource, signBody } = require('./payloads');

process.once('message', async ({ url, duration, connections, eventsPerRequest, secret, idPrefix }) => {
  const nextItem = createEventSource(idPrefix);
  const statusCounts = {};
  const result = await autocannon({
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
  process.send({
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    duration: result.duration,
    statusCounts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  });
  process.exit(0);
});
