'use strict';
// A small batch job: imports a few "orders", counts them by outcome, tracks the batch in
// progress, times each step, and pushes to the Pushgateway at $PGW_URL as job
// `example_node`. It simply ends: the pusher delivers the final numbers first.
const pm = require('../../bindings/node');

const url = process.env.PGW_URL || 'http://127.0.0.1:9091';
const pusher = new pm.Pusher({ url, job: 'example_node', groupings: { instance: 'demo' }, intervalMs: 5000 });

const orders = new pm.Counter({ name: 'orders_total', help: 'Orders processed, by outcome.', labelNames: ['outcome'] });
const inProgress = new pm.Gauge({ name: 'batch_in_progress', help: 'Orders of the current batch not done yet.' });
const stepSeconds = new pm.Histogram({
  name: 'order_step_seconds',
  help: 'Time of one processing step.',
  labelNames: ['step'],
  buckets: pm.exponentialBuckets(0.0001, 4, 8),
});
const orderValue = new pm.Summary({
  name: 'order_value_euros',
  help: 'Value of an order.',
  labelNames: ['currency'],
  percentiles: [0.5, 0.9, 0.99],
});

const ok = orders.labels('ok'); // a held child: recording is a store in shared memory
let value = 7;
inProgress.set(1000);
for (let i = 0; i < 1000; i++) {
  const end = stepSeconds.startTimer({ step: 'validate' });
  value = (value * 7919) % 1000;
  end();
  if (value % 50 === 0) orders.inc({ outcome: 'rejected' });
  else ok.inc();
  stepSeconds.observe({ step: 'store' }, value / 1e6);
  orderValue.observe({ currency: 'EUR' }, value / 10);
  inProgress.dec();
}

process.on('exit', () => {
  const s = pusher.stats();
  console.log(
    `example_node: 1000 orders; pushes ok ${s.pushesOk} failed ${s.pushesFailed}, ` +
      `requests ${s.requests} (retries ${s.retries}), ${s.bytesSent} bytes sent, ` +
      `breaker ${s.breaker}, last error: ${s.lastError ?? 'none'}`,
  );
});
