'use strict';
// The same one-shot job with prom-client: require, record 10 metrics, push once, exit.
// usage: node job_prom_client.js URL JOB
const client = require('prom-client');

const [url, job] = process.argv.slice(2);
const registry = new client.Registry();
for (let i = 0; i < 4; i++) new client.Counter({ name: `oneshot_items_${i}_total`, help: 'Items', registers: [registry] }).inc(i + 1);
for (let i = 0; i < 3; i++) new client.Gauge({ name: `oneshot_level_${i}`, help: 'Level', registers: [registry] }).set(i);
for (let i = 0; i < 3; i++) new client.Histogram({ name: `oneshot_seconds_${i}`, help: 'Time', registers: [registry] }).observe(0.1 * i);
new client.Pushgateway(url, {}, registry).push({ jobName: job });
