//! Prometheus remote write 1.0: a snapshot as `prometheus.WriteRequest` messages, split into
//! requests of a bounded number of samples and into lanes by series, each request snappy
//! block-compressed. The series are those a Pushgateway plus a scrape would give: the job
//! and grouping labels on every series, histograms as `_bucket{le}`/`_sum`/`_count`,
//! summaries as `{quantile}`/`_sum`/`_count`, labels sorted, empty values left out.
//!
//! The messages are written by hand (one pass, no allocation per label); [`pb`] holds the
//! same messages as prost types, which decode what was written.

use crate::encode::text::write_bound;
use crate::metric::MetricType;
use crate::snapshot::{FamilySnapshot, Snapshot, Value};
use std::sync::Arc;

/// The bit pattern Prometheus uses to mark a series stale (a NaN no arithmetic produces).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Messages of `prometheus` (remote.proto and types.proto), the fields remote write 1.0
/// uses. The encoder does not use them; they decode and check what it writes.
pub mod pb {
    #![allow(missing_docs)]
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
        #[prost(message, repeated, tag = "3")]
        pub metadata: Vec<MetricMetadata>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Label {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        #[prost(double, tag = "1")]
        pub value: f64,
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MetricMetadata {
        /// 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge histogram, 5 summary.
        #[prost(int32, tag = "1")]
        pub r#type: i32,
        #[prost(string, tag = "2")]
        pub metric_family_name: String,
        #[prost(string, tag = "4")]
        pub help: String,
        #[prost(string, tag = "5")]
        pub unit: String,
    }
}

/// A snapshot as remote-write request bodies (snappy-compressed `WriteRequest`s of at most
/// `max_samples_per_send` samples each), every series carrying `labels` (`job` and the
/// grouping labels) and stamped `timestamp_ms`: what a pusher sends, in one lane. For
/// tools that send the bodies themselves, and for benchmarks.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// reg.counter("jobs_total", "Jobs").build().unwrap().inc();
/// let labels = [("job".to_string(), "nightly".to_string())];
/// let bodies = pushmetrics::encode::remote_write::write_requests(
///     &reg.snapshot(), &labels, 1_700_000_000_000, 2000);
/// assert_eq!(bodies.len(), 1);
/// ```
pub fn write_requests(
    snapshot: &Snapshot,
    labels: &[(String, String)],
    timestamp_ms: i64,
    max_samples_per_send: usize,
) -> Vec<Vec<u8>> {
    let layout = Layout {
        lanes: 1,
        max_samples: max_samples_per_send,
    };
    Encoder::new(labels)
        .encode(snapshot, timestamp_ms, &layout, false)
        .into_iter()
        .flatten()
        .map(|r| r.body.to_vec())
        .collect()
}

/// One compressed request, ready to send.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// The snappy block-compressed `WriteRequest`.
    pub(crate) body: Arc<[u8]>,
    /// Samples in it.
    pub(crate) samples: u32,
}

/// How one snapshot is cut into requests.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Lanes (requests in flight at once); a series always lands in the same lane.
    pub(crate) lanes: usize,
    /// Most samples per request.
    pub(crate) max_samples: usize,
}

/// Writes snapshots as remote-write requests. It keeps the labels added to every series
/// (job, grouping) and the last timestamp, so that two snapshots never share one.
pub(crate) struct Encoder {
    /// `(name, value)` sorted by name: `job` and the grouping labels.
    extra: Vec<(String, String)>,
    last_ts: i64,
    /// Boxed: its hash table is kilobytes.
    compressor: Box<snap::raw::Encoder>,
}

/// Where a label's value comes from, for one family.
#[derive(Clone, Copy)]
enum Source {
    /// `__name__`: the family name plus the sample's suffix.
    Name,
    /// A constant label or a job/grouping label: the same entry for every series.
    Fixed(usize),
    /// The series' own label `i`.
    Series(usize),
    /// `le` or `quantile`, per sample.
    Suffix,
}

/// The labels of one family's series in sorted order, with every byte that does not vary
/// between series encoded once.
struct Plan {
    order: Vec<Source>,
    /// Whole `Label` entries (tag, length, message) of the constant labels.
    fixed: Vec<Vec<u8>>,
    /// `name` field (tag, length, bytes) of each series label, by label index.
    series_names: Vec<Vec<u8>>,
    /// Number of series labels.
    n_labels: usize,
    /// `name` field of `le` or `quantile`.
    suffix_name: Vec<u8>,
    /// Whole `__name__` entries: plain, `_bucket`, `_sum`, `_count`.
    names: [Vec<u8>; 4],
}

const NAME_PLAIN: usize = 0;
const NAME_BUCKET: usize = 1;
const NAME_SUM: usize = 2;
const NAME_COUNT: usize = 3;

impl Encoder {
    /// `extra` are the labels every series carries (`job` and the grouping labels); they
    /// replace a metric's own labels of the same name, as the Pushgateway does.
    pub(crate) fn new(extra: &[(String, String)]) -> Encoder {
        let mut extra: Vec<(String, String)> = extra.to_vec();
        extra.sort_by(|a, b| a.0.cmp(&b.0));
        extra.dedup_by(|later, earlier| later.0 == earlier.0);
        Encoder {
            extra,
            last_ts: 0,
            compressor: Box::new(snap::raw::Encoder::new()),
        }
    }

    /// A timestamp for the next snapshot: wall-clock milliseconds, always after the last.
    pub(crate) fn stamp(&mut self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as i64);
        self.last_ts = now.max(self.last_ts + 1);
        self.last_ts
    }

    /// The requests of every lane for `snapshot` at `ts`: the metadata (TYPE and HELP of
    /// each family) travels in lane 0's first request. With `stale`, every sample is a
    /// staleness marker instead of its value, and no metadata is sent.
    pub(crate) fn encode(
        &mut self,
        snapshot: &Snapshot,
        ts: i64,
        layout: &Layout,
        stale: bool,
    ) -> Vec<Vec<Request>> {
        let lanes = layout.lanes.max(1);
        let max = layout.max_samples.max(1);
        let mut bufs: Vec<LaneBuf> = (0..lanes).map(|_| LaneBuf::default()).collect();
        let mut out: Vec<Vec<Request>> = vec![Vec::new(); lanes];
        if !stale {
            for f in snapshot.families() {
                if !f.is_empty() {
                    write_metadata(f, &mut bufs[0].data);
                }
            }
        }
        let mut sample = SampleWriter {
            ts,
            stale,
            scratch: Vec::with_capacity(256),
            le: Vec::new(),
        };
        for f in snapshot.families() {
            if f.is_empty() {
                continue;
            }
            let plan = self.plan(f);
            let family_hash = hash_bytes(FNV_OFFSET, f.name().as_bytes());
            for s in f.iter() {
                let labels = s.label_slice();
                let lane = if lanes == 1 {
                    0
                } else {
                    (finish(hash_bytes(family_hash, labels.0)) % lanes as u64) as usize
                };
                let buf = &mut bufs[lane];
                let n = sample.series(&plan, labels, s.value(), &mut buf.data);
                buf.samples += n;
                if buf.samples >= max {
                    out[lane].push(self.finish(buf));
                }
            }
        }
        for (lane, buf) in bufs.iter_mut().enumerate() {
            if !buf.data.is_empty() {
                out[lane].push(self.finish(buf));
            }
        }
        out
    }

    fn finish(&mut self, buf: &mut LaneBuf) -> Request {
        let body = self
            .compressor
            .compress_vec(&buf.data)
            .expect("snappy accepts any input below 4 GiB");
        let r = Request {
            body: body.into(),
            samples: buf.samples as u32,
        };
        buf.data.clear();
        buf.samples = 0;
        r
    }

    fn plan(&self, f: &FamilySnapshot) -> Plan {
        let suffix = match f.metric_type() {
            MetricType::Histogram => Some("le"),
            MetricType::Summary => Some("quantile"),
            _ => None,
        };
        // The job and grouping labels win over a metric's own labels of the same name, as
        // on the gateway; `le` and `quantile` win over everything, so buckets stay apart.
        let taken = |n: &str| suffix == Some(n) || self.extra.iter().any(|(e, _)| e == n);
        let mut named: Vec<(&str, Source)> = vec![("__name__", Source::Name)];
        let mut fixed = Vec::new();
        for (n, v) in f.const_labels() {
            if !taken(n) && !v.is_empty() {
                named.push((n, Source::Fixed(fixed.len())));
                fixed.push(label_entry(n, v));
            }
        }
        for (n, v) in &self.extra {
            if suffix != Some(n.as_str()) && !v.is_empty() {
                named.push((n, Source::Fixed(fixed.len())));
                fixed.push(label_entry(n, v));
            }
        }
        let names = f.label_names();
        for (i, n) in names.iter().enumerate() {
            if !taken(n) {
                named.push((n, Source::Series(i)));
            }
        }
        if let Some(s) = suffix {
            named.push((s, Source::Suffix));
        }
        named.sort_by(|a, b| a.0.cmp(b.0));
        let name_entry = |suffix: &str| label_entry("__name__", &format!("{}{suffix}", f.name()));
        Plan {
            order: named.iter().map(|(_, s)| *s).collect(),
            fixed,
            series_names: names
                .iter()
                .map(|n| string_field(1, n.as_bytes()))
                .collect(),
            n_labels: names.len(),
            suffix_name: string_field(1, suffix.unwrap_or("").as_bytes()),
            names: [
                name_entry(""),
                name_entry("_bucket"),
                name_entry("_sum"),
                name_entry("_count"),
            ],
        }
    }
}

#[derive(Default)]
struct LaneBuf {
    data: Vec<u8>,
    samples: usize,
}

/// Writes the `TimeSeries` entries of one series.
struct SampleWriter {
    ts: i64,
    stale: bool,
    /// The labels of the series being written, before its length is known.
    scratch: Vec<u8>,
    /// The text of an `le` or `quantile` value.
    le: Vec<u8>,
}

impl SampleWriter {
    /// Appends the series' samples to `out`; returns how many.
    fn series(
        &mut self,
        plan: &Plan,
        labels: crate::labels::LabelSlice<'_>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> usize {
        match value {
            Value::Counter(v) | Value::Gauge(v) => {
                self.one(plan, labels, NAME_PLAIN, None, *v, out);
                1
            }
            Value::Histogram(h) => {
                for (i, c) in h.cumulative.iter().enumerate() {
                    let bound = h.bounds.get(i).copied().unwrap_or(f64::INFINITY);
                    self.one(plan, labels, NAME_BUCKET, Some(bound), *c as f64, out);
                }
                self.one(plan, labels, NAME_SUM, None, h.sum, out);
                self.one(plan, labels, NAME_COUNT, None, h.count as f64, out);
                h.cumulative.len() + 2
            }
            Value::Summary(s) => {
                for (q, v) in &s.quantiles {
                    self.one(plan, labels, NAME_PLAIN, Some(*q), *v, out);
                }
                self.one(plan, labels, NAME_SUM, None, s.sum, out);
                self.one(plan, labels, NAME_COUNT, None, s.count as f64, out);
                s.quantiles.len() + 2
            }
        }
    }

    /// One `TimeSeries` entry (field 1 of `WriteRequest`) with one sample.
    fn one(
        &mut self,
        plan: &Plan,
        labels: crate::labels::LabelSlice<'_>,
        name: usize,
        suffix: Option<f64>,
        value: f64,
        out: &mut Vec<u8>,
    ) {
        let scratch = &mut self.scratch;
        scratch.clear();
        if let Some(v) = suffix {
            self.le.clear();
            write_bound(v, &mut self.le);
        }
        for src in &plan.order {
            match *src {
                Source::Name => scratch.extend_from_slice(&plan.names[name]),
                Source::Fixed(i) => scratch.extend_from_slice(&plan.fixed[i]),
                Source::Series(i) => {
                    let v = labels.get(plan.n_labels, i);
                    if !v.is_empty() {
                        label_entry_parts(&plan.series_names[i], v.as_bytes(), scratch);
                    }
                }
                Source::Suffix => {
                    if suffix.is_some() {
                        label_entry_parts(&plan.suffix_name, &self.le, scratch);
                    }
                }
            }
        }
        let value = if self.stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            value
        };
        // Sample { value = 1 (double), timestamp = 2 (int64) }.
        let sample_len = 9 + 1 + varint_len(self.ts as u64);
        let series_len = scratch.len() + 1 + varint_len(sample_len as u64) + sample_len;
        out.push(0x0a);
        put_varint(out, series_len as u64);
        out.extend_from_slice(scratch);
        out.push(0x12);
        put_varint(out, sample_len as u64);
        out.push(0x09);
        out.extend_from_slice(&value.to_bits().to_le_bytes());
        out.push(0x10);
        put_varint(out, self.ts as u64);
    }
}

/// `MetricMetadata` (field 3 of `WriteRequest`): type, family name and help.
fn write_metadata(f: &FamilySnapshot, out: &mut Vec<u8>) {
    let kind: u64 = match f.metric_type() {
        MetricType::Counter => 1,
        MetricType::Gauge => 2,
        MetricType::Histogram => 3,
        MetricType::Summary => 5,
    };
    let mut m = vec![0x08];
    put_varint(&mut m, kind);
    m.extend_from_slice(&string_field(2, f.name().as_bytes()));
    if !f.help().is_empty() {
        m.extend_from_slice(&string_field(4, f.help().as_bytes()));
    }
    out.push(0x1a);
    put_varint(out, m.len() as u64);
    out.extend_from_slice(&m);
}

/// A whole `Label` entry of `TimeSeries` (field 1): tag, length, name and value fields.
fn label_entry(name: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + value.len() + 8);
    label_entry_parts(
        &string_field(1, name.as_bytes()),
        value.as_bytes(),
        &mut out,
    );
    out
}

/// A `Label` entry from its encoded name field and the raw value.
#[inline]
fn label_entry_parts(name_field: &[u8], value: &[u8], out: &mut Vec<u8>) {
    let inner = name_field.len() + 1 + varint_len(value.len() as u64) + value.len();
    out.push(0x0a);
    put_varint(out, inner as u64);
    out.extend_from_slice(name_field);
    out.push(0x12);
    put_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// A length-delimited field: tag, length, bytes.
fn string_field(field: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 6);
    out.push(field << 3 | 2);
    put_varint(&mut out, bytes.len() as u64);
    out.extend_from_slice(bytes);
    out
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over 8-byte words: stable across runs and processes, so a series keeps its lane.
fn hash_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = (h ^ u64::from_le_bytes(c.try_into().expect("8 bytes"))).wrapping_mul(0x100_0000_01b3);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Mixes the high bits down, so a modulus by a small lane count sees all of the hash.
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use prost::Message;

    fn decode(r: &Request) -> pb::WriteRequest {
        let raw = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
        pb::WriteRequest::decode(raw.as_slice()).unwrap()
    }

    fn all(reqs: &[Vec<Request>]) -> pb::WriteRequest {
        let mut out = pb::WriteRequest::default();
        for r in reqs.iter().flatten() {
            let w = decode(r);
            out.timeseries.extend(w.timeseries);
            out.metadata.extend(w.metadata);
        }
        out
    }

    fn labels(ts: &pb::TimeSeries) -> Vec<(&str, &str)> {
        ts.labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect()
    }

    fn one_lane() -> Layout {
        Layout {
            lanes: 1,
            max_samples: 2000,
        }
    }

    fn grouping() -> Vec<(String, String)> {
        vec![
            ("job".into(), "batch".into()),
            ("instance".into(), "w1".into()),
        ]
    }

    #[test]
    fn labels_are_sorted_with_job_and_grouping_and_no_empty_values() {
        let reg = Registry::new();
        let c = reg
            .counter("rw_requests_total", "Requests")
            .labels(&["path", "code", "empty"])
            .const_label("zone", "eu")
            .build_vec()
            .unwrap();
        c.inc_by(&["/a", "200", ""], 3.0).unwrap();
        let mut e = Encoder::new(&grouping());
        let w = all(&e.encode(&reg.snapshot(), 1_700_000_000_000, &one_lane(), false));
        assert_eq!(w.timeseries.len(), 1);
        assert_eq!(
            labels(&w.timeseries[0]),
            [
                ("__name__", "rw_requests_total"),
                ("code", "200"),
                ("instance", "w1"),
                ("job", "batch"),
                ("path", "/a"),
                ("zone", "eu"),
            ]
        );
        assert_eq!(
            w.timeseries[0].samples,
            [pb::Sample {
                value: 3.0,
                timestamp: 1_700_000_000_000
            }]
        );
        assert_eq!(
            w.metadata,
            [pb::MetricMetadata {
                r#type: 1,
                metric_family_name: "rw_requests_total".into(),
                help: "Requests".into(),
                unit: String::new(),
            }]
        );
    }

    #[test]
    fn grouping_labels_replace_the_metrics_own_labels_of_the_same_name() {
        let reg = Registry::new();
        let g = reg
            .gauge("rw_g", "G")
            .labels(&["instance"])
            .build_vec()
            .unwrap();
        g.set(&["from-metric"], 1.0).unwrap();
        let mut e = Encoder::new(&grouping());
        let w = all(&e.encode(&reg.snapshot(), 5, &one_lane(), false));
        assert_eq!(
            labels(&w.timeseries[0]),
            [("__name__", "rw_g"), ("instance", "w1"), ("job", "batch")]
        );
    }

    #[test]
    fn histograms_and_summaries_become_bucket_sum_count_and_quantile_series() {
        let reg = Registry::new();
        let h = reg
            .histogram("rw_latency_seconds", "Latency")
            .buckets(vec![0.5, 1.0])
            .build()
            .unwrap();
        for v in [0.1, 0.7, 3.0] {
            h.observe(v).unwrap();
        }
        let s = reg
            .summary("rw_size", "Size")
            .quantiles(&[0.5])
            .build()
            .unwrap();
        s.observe(4.0).unwrap();
        let snap = reg.snapshot();
        let Some(Value::Summary(sv)) = snap.family("rw_size").unwrap().get(&[]) else {
            panic!("a summary")
        };
        let median = sv.quantiles[0].1;
        let mut e = Encoder::new(&[("job".into(), "j".into())]);
        let w = all(&e.encode(&snap, 7, &one_lane(), false));
        let got: Vec<(Vec<(&str, &str)>, f64)> = w
            .timeseries
            .iter()
            .map(|t| (labels(t), t.samples[0].value))
            .collect();
        let series = |name, le: Option<(&'static str, &'static str)>| {
            let mut l = vec![("__name__", name), ("job", "j")];
            l.extend(le);
            l.sort();
            l
        };
        assert_eq!(
            got,
            [
                (
                    series("rw_latency_seconds_bucket", Some(("le", "0.5"))),
                    1.0
                ),
                (
                    series("rw_latency_seconds_bucket", Some(("le", "1.0"))),
                    2.0
                ),
                (
                    series("rw_latency_seconds_bucket", Some(("le", "+Inf"))),
                    3.0
                ),
                (series("rw_latency_seconds_sum", None), 3.8),
                (series("rw_latency_seconds_count", None), 3.0),
                (series("rw_size", Some(("quantile", "0.5"))), median),
                (series("rw_size_sum", None), 4.0),
                (series("rw_size_count", None), 1.0),
            ]
        );
        let kinds: Vec<i32> = w.metadata.iter().map(|m| m.r#type).collect();
        assert_eq!(kinds, [3, 5]);
    }

    #[test]
    fn requests_hold_at_most_max_samples_and_a_series_keeps_its_lane() {
        let reg = Registry::new();
        let c = reg
            .counter("rw_many_total", "Many")
            .labels(&["i"])
            .max_series(10_000)
            .build_vec()
            .unwrap();
        for i in 0..1000 {
            c.inc(&[&i.to_string()]).unwrap();
        }
        let layout = Layout {
            lanes: 3,
            max_samples: 100,
        };
        let mut e = Encoder::new(&[("job".into(), "j".into())]);
        let lane_of = |reqs: &[Vec<Request>]| {
            let mut m = std::collections::HashMap::new();
            for (lane, rs) in reqs.iter().enumerate() {
                for r in rs {
                    assert!(r.samples as usize <= 100);
                    let w = decode(r);
                    assert_eq!(w.timeseries.len(), r.samples as usize);
                    for t in w.timeseries {
                        m.insert(t.labels[1].value.clone(), lane);
                    }
                }
            }
            m
        };
        let a = e.encode(&reg.snapshot(), 10, &layout, false);
        let b = e.encode(&reg.snapshot(), 11, &layout, false);
        let (la, lb) = (lane_of(&a), lane_of(&b));
        assert_eq!(la.len(), 1000);
        assert_eq!(la, lb);
        let used: std::collections::HashSet<_> = la.values().collect();
        assert_eq!(used.len(), 3, "every lane gets series");
        let total: u32 = a.iter().flatten().map(|r| r.samples).sum();
        assert_eq!(total, 1000);
    }

    #[test]
    fn stale_markers_carry_the_special_nan_and_no_metadata() {
        let reg = Registry::new();
        reg.counter("rw_c_total", "C").build().unwrap().inc();
        let mut e = Encoder::new(&[("job".into(), "j".into())]);
        let w = all(&e.encode(&reg.snapshot(), 9, &one_lane(), true));
        assert!(w.metadata.is_empty());
        assert_eq!(w.timeseries[0].samples[0].value.to_bits(), STALE_NAN_BITS);
        assert_eq!(w.timeseries[0].samples[0].timestamp, 9);
    }

    #[test]
    fn stamps_are_milliseconds_and_strictly_increasing() {
        let mut e = Encoder::new(&[]);
        let a = e.stamp();
        let b = e.stamp();
        assert!(a > 1_600_000_000_000 && a < 10_000_000_000_000, "{a}");
        assert!(b > a);
    }

    #[test]
    fn the_hand_written_messages_equal_prosts() {
        let reg = Registry::new();
        let c = reg
            .counter("rw_x_total", "X \u{fc}")
            .labels(&["v"])
            .build_vec()
            .unwrap();
        let long = "x".repeat(200);
        c.inc_by(&[&long], 1e300).unwrap();
        let mut e = Encoder::new(&[("job".into(), "j".into())]);
        let reqs = e.encode(&reg.snapshot(), i64::MAX / 2, &one_lane(), false);
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&reqs[0][0].body)
            .unwrap();
        let w = pb::WriteRequest::decode(raw.as_slice()).unwrap();
        let mut again = Vec::new();
        // prost writes the metadata after the series; compare field by field instead.
        w.encode(&mut again).unwrap();
        assert_eq!(again.len(), raw.len());
        assert_eq!(w.timeseries[0].labels[2].value, long);
        assert_eq!(w.timeseries[0].samples[0].value, 1e300);
    }

    #[test]
    fn varint_lengths() {
        for v in [0u64, 1, 127, 128, 16383, 16384, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
    }
}
