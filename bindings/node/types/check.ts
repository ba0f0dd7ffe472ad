// Compiled by `tsc -p tsconfig.json` in the tests: uses every declaration the way a user does.
import {
  Counter, Gauge, Histogram, Summary, Registry, register, Pusher, Pushgateway,
  linearBuckets, exponentialBuckets, PushmetricsError, LabelError, TimeoutError, writeToTextfile,
  startHttpServer, HttpServer, ListenError, setLogLevel, collectDefaultMetrics, ConflictError,
  type PushmetricsLogRecord,
  type FlushReport, type PusherStats, type ReceiverStats, type PusherOptions,
} from '..';

const reg = new Registry({ maxSeriesPerMetric: 100, maxSeries: 1000, maxLabelValueLength: 64, seriesTtlMs: 60_000 });
const c = new Counter({ name: 'a_total', help: 'a', labelNames: ['method', 'code'] as const, registers: [reg],
  sampling: { everyNth: 10 }, maxSeries: 50, hashedLabels: { code: 8 }, droppedLabels: ['method'] });
c.inc();
c.inc(2);
c.inc({ method: 'GET', code: 200 });
c.inc({ method: 'GET' }, 3);
c.labels('GET', '200').inc();
c.labels({ method: 'GET', code: '200' }).inc(2);
const g = new Gauge({ name: 'g', help: 'g', collect() { this.set(1); } });
g.set(1); g.inc(); g.dec(2); g.setToCurrentTime(); g.startTimer()();
g.labels('x').set(2);
const busy = new Gauge({ name: 'busy', help: 'b', registers: [reg], multiprocessMode: 'livesum' });
busy.set(1);
const mpDir: string = reg.enableMultiprocess('/tmp/pm');
const mpWorker: boolean = register.isMultiprocessWorker();
const mpOn: string | null = register.multiprocessDir();
const h = new Histogram({ name: 'h', help: 'h', buckets: linearBuckets(0, 1, 5).concat(exponentialBuckets(10, 2, 3)) });
h.observe(1); h.observe({ route: '/' }, 2); const secs: number = h.startTimer({ route: '/' })({ code: '200' });
const s = new Summary({ name: 's', help: 's', percentiles: [0.5], maxAgeSeconds: 60, ageBuckets: 3 });
s.observe(1); s.labels('a').observe(2);
async function main(): Promise<void> {
  const text: string = await register.metrics();
  const json = await reg.getMetricsAsJSON();
  reg.setDefaultLabels({ region: 'eu', shard: 7 });
  const p = new Pusher({ url: 'http://127.0.0.1:9091', job: 'j', groupings: { instance: 'x' }, registry: reg,
    intervalMs: 1000, jitter: 0.1, method: 'POST', format: 'protobuf', gzip: true, flushDeadlineMs: 500,
    connectTimeoutMs: 100, requestTimeoutMs: 100, maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 100,
    retryBudget: 0.2, breakerThreshold: 3, breakerOpenMs: 1000, maxBodyBytes: 1 << 20, deleteOnShutdown: true,
    selfMetrics: false, shutdownTimeoutMs: 1000, basicAuth: { username: 'u', password: 'p' }, bearerToken: 't',
    headers: { 'X-A': 'b' }, ignoreEnv: true });
  const r: FlushReport = await p.flush(1000);
  const st: PusherStats = p.stats();
  const ok: boolean = p.healthy();
  await p.shutdown();
  const rwOptions: PusherOptions = { url: ['http://127.0.0.1:9090/api/v1/write', 'http://127.0.0.1:8428/api/v1/write'],
    target: 'remote_write', job: 'j', registry: reg, maxSamplesPerSend: 500, maxInFlight: 2,
    maxPendingSamples: 10_000, stalenessMarkers: false };
  const rw = new Pusher(rwOptions);
  await rw.flush();
  const rst = rw.stats();
  const sent: number = rst.samplesSent + rst.samplesDropped + rst.samplesRejected + rst.samplesPending;
  const receivers: ReceiverStats[] = rst.receivers;
  for (const x of receivers) {
    const when: number | undefined = x.lastSuccessMs;
    const state: 'closed' | 'open' | 'half_open' = x.breaker;
    console.log(x.url, x.requests, x.retries, x.retriesDenied, x.samplesSent, x.samplesDropped, x.samplesRejected,
      x.samplesPending, x.bytesSent, when, x.lastError, x.consecutiveFailures, state);
  }
  await rw.shutdown();
  new Pusher({ url: 'http://127.0.0.1:9091', target: 'pushgateway', job: 'j' });
  const logged = new Pusher({ url: 'http://127.0.0.1:9091', job: 'j', logger: console });
  logged.on('warning', (w: PushmetricsLogRecord) => console.log(w.message, w.level, w.target))
    .once('error', (e) => console.log(e.message)).off('warning', () => undefined);
  const listeners: number = logged.listenerCount('warning');
  new Pusher({ url: 'http://127.0.0.1:9091', job: 'j', logger: { warn(m: string) { console.log(m, listeners); } } });
  setLogLevel('error');
  new Pusher({ url: '/var/lib/node_exporter/textfile/j.prom', target: 'textfile' });
  const written: Promise<void> = writeToTextfile('/tmp/j.prom', reg);
  await written;
  await writeToTextfile('/tmp/j.prom');
  // @ts-expect-error: the path is a string
  writeToTextfile(42);
  // @ts-expect-error: the target is one of three names
  new Pusher({ url: 'http://127.0.0.1:9091', target: 'nope', job: 'j' });
  // @ts-expect-error: remote-write options belong to Pusher, not to prom-client's Pushgateway
  new Pushgateway('http://127.0.0.1:9091', { maxInFlight: 2 });
  const gw = new Pushgateway('http://127.0.0.1:9091', { timeout: 1000, auth: 'u:p' }, reg);
  await gw.pushAdd({ jobName: 'j', groupings: { a: 'b' } });
  await gw.push({ jobName: 'j' });
  await gw.delete({ jobName: 'j' });
  try { c.inc(-1); } catch (e) {
    if (e instanceof LabelError || e instanceof TimeoutError) console.log(e.code);
    if (e instanceof PushmetricsError) console.log(e.message);
  }
  console.log(text, json, r, st, ok, secs, sent, reg.seriesCount(), reg.guardStats(), p.url);
  const server: HttpServer = startHttpServer({ port: 0, host: '127.0.0.1', registry: reg, maxConnections: 2,
    readTimeoutMs: 5000, writeTimeoutMs: 10000 });
  const port: number = server.port;
  const where: string = server.host;
  await server.close();
  console.log(port, where, server.closed, startHttpServer({ port: 9100 }).port);
  // @ts-expect-error: the port is required
  startHttpServer({ host: '::' });
  try { startHttpServer({ port }); } catch (e) { if (e instanceof ListenError) console.log(e.code); }
  const timed = new Registry({ collectTimeoutMs: 250 });
  timed.collectTimeoutMs = 50;
  collectDefaultMetrics();
  collectDefaultMetrics({ register: timed, prefix: 'app_', labels: { service: 'api' }, gcDurationBuckets: [0.1, 1],
    eventLoopMonitoringPrecision: 20 });
  const groups: string[] = collectDefaultMetrics.metricsList;
  c.remove('GET', '200');
  c.remove({ method: 'GET', code: '200' });
  c.reset();
  h.zero({ route: '/' });
  h.zero();
  g.collect = async function () { g.set(2); };
  try { Registry.merge([reg, timed]); } catch (e) { if (e instanceof ConflictError) console.log(e.message, groups); }
}
void main();
