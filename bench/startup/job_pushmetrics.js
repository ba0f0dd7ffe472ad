'use strict';
// A one-shot job with pushmetrics: require, record 10 metrics, push once, exit.
// usage: node job_pushmetrics.js URL JOB push|pusher
//   push    Pushgateway.push(), as prom-client's job does
//   pusher  a background Pusher, whose final push runs when the script ends
const pm = require('pushmetrics');

const [url, job, style] = process.argv.slice(2);
const registry = new pm.Registry();
for (let i = 0; i < 4; i++) new pm.Counter({ name: `oneshot_items_${i}_total`, help: 'Items', registers: [registry] }).inc(i + 1);
for (let i = 0; i < 3; i++) new pm.Gauge({ name: `oneshot_level_${i}`, help: 'Level', registers: [registry] }).set(i);
for (let i = 0; i < 3; i++) new pm.Histogram({ name: `oneshot_seconds_${i}`, help: 'Time', registers: [registry] }).observe(0.1 * i);
if (style === 'push') {
  new pm.Pushgateway(url, {}, registry).push({ jobName: job });
} else {
  new pm.Pusher({ url, job, registry });
}
