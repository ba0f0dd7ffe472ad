//! The Pushgateway's protobuf format: length-delimited `io.prometheus.client.MetricFamily`
//! messages. The message types below are what `prost-build` generates from the upstream
//! `metrics.proto` (proto2), reduced to the fields a push uses.

use crate::snapshot::{FamilySnapshot, Snapshot, Value};
use prost::Message;

/// Messages of `io.prometheus.client` (metrics.proto).
pub mod pb {
    #![allow(missing_docs)]
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LabelPair {
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        #[prost(string, optional, tag = "2")]
        pub value: Option<String>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Gauge {
        #[prost(double, optional, tag = "1")]
        pub value: Option<f64>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Counter {
        #[prost(double, optional, tag = "1")]
        pub value: Option<f64>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Quantile {
        #[prost(double, optional, tag = "1")]
        pub quantile: Option<f64>,
        #[prost(double, optional, tag = "2")]
        pub value: Option<f64>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Summary {
        #[prost(uint64, optional, tag = "1")]
        pub sample_count: Option<u64>,
        #[prost(double, optional, tag = "2")]
        pub sample_sum: Option<f64>,
        #[prost(message, repeated, tag = "3")]
        pub quantile: Vec<Quantile>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Bucket {
        #[prost(uint64, optional, tag = "1")]
        pub cumulative_count: Option<u64>,
        #[prost(double, optional, tag = "2")]
        pub upper_bound: Option<f64>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Histogram {
        #[prost(uint64, optional, tag = "1")]
        pub sample_count: Option<u64>,
        #[prost(double, optional, tag = "2")]
        pub sample_sum: Option<f64>,
        #[prost(message, repeated, tag = "3")]
        pub bucket: Vec<Bucket>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Metric {
        #[prost(message, repeated, tag = "1")]
        pub label: Vec<LabelPair>,
        #[prost(message, optional, tag = "2")]
        pub gauge: Option<Gauge>,
        #[prost(message, optional, tag = "3")]
        pub counter: Option<Counter>,
        #[prost(message, optional, tag = "4")]
        pub summary: Option<Summary>,
        #[prost(message, optional, tag = "7")]
        pub histogram: Option<Histogram>,
        #[prost(int64, optional, tag = "6")]
        pub timestamp_ms: Option<i64>,
    }
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        Counter = 0,
        Gauge = 1,
        Summary = 2,
        Untyped = 3,
        Histogram = 4,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MetricFamily {
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        #[prost(string, optional, tag = "2")]
        pub help: Option<String>,
        #[prost(enumeration = "MetricType", optional, tag = "3")]
        pub r#type: Option<i32>,
        #[prost(message, repeated, tag = "4")]
        pub metric: Vec<Metric>,
    }
}

/// The protobuf message for one family.
pub fn family_message(f: &FamilySnapshot) -> pb::MetricFamily {
    use crate::MetricType as T;
    let kind = match f.metric_type() {
        T::Counter => pb::MetricType::Counter,
        T::Gauge => pb::MetricType::Gauge,
        T::Histogram => pb::MetricType::Histogram,
        T::Summary => pb::MetricType::Summary,
    };
    let metric = f
        .iter()
        .map(|s| {
            let label = f
                .const_labels()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .chain(s.labels())
                .map(|(n, v)| pb::LabelPair {
                    name: Some(n.to_owned()),
                    value: Some(v.to_owned()),
                })
                .collect();
            let mut m = pb::Metric {
                label,
                ..Default::default()
            };
            match s.value() {
                Value::Counter(v) => m.counter = Some(pb::Counter { value: Some(*v) }),
                Value::Gauge(v) => m.gauge = Some(pb::Gauge { value: Some(*v) }),
                Value::Histogram(h) => {
                    let crate::snapshot::HistogramValue {
                        bounds,
                        cumulative,
                        count,
                        sum,
                    } = &**h;
                    // The +Inf bucket is implied by sample_count, as client_golang sends it.
                    m.histogram = Some(pb::Histogram {
                        sample_count: Some(*count),
                        sample_sum: Some(*sum),
                        bucket: bounds
                            .iter()
                            .zip(cumulative)
                            .map(|(b, c)| pb::Bucket {
                                cumulative_count: Some(*c),
                                upper_bound: Some(*b),
                            })
                            .collect(),
                    })
                }
                Value::Summary(q) => {
                    let crate::snapshot::SummaryValue {
                        quantiles,
                        sum,
                        count,
                    } = &**q;
                    m.summary = Some(pb::Summary {
                        sample_count: Some(*count),
                        sample_sum: Some(*sum),
                        quantile: quantiles
                            .iter()
                            .map(|(q, v)| pb::Quantile {
                                quantile: Some(*q),
                                value: Some(*v),
                            })
                            .collect(),
                    })
                }
            }
            m
        })
        .collect();
    pb::MetricFamily {
        name: Some(f.name().to_owned()),
        help: Some(f.help().to_owned()),
        r#type: Some(kind as i32),
        metric,
    }
}

/// Appends one family as a varint length followed by the message. A family without series
/// is written as nothing at all.
pub fn encode_family(f: &FamilySnapshot, out: &mut Vec<u8>) {
    if f.is_empty() {
        return;
    }
    family_message(f)
        .encode_length_delimited(out)
        .expect("a Vec grows as needed");
}

/// Appends every family of `snapshot`.
pub fn encode(snapshot: &Snapshot, out: &mut Vec<u8>) {
    for f in snapshot.families() {
        encode_family(f, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    #[test]
    fn delimited_messages_decode_back_to_the_same_values() {
        let reg = Registry::new();
        reg.counter("c_total", "C")
            .labels(&["a"])
            .build_vec()
            .unwrap()
            .inc_by(&["x"], 2.5)
            .unwrap();
        let h = reg.histogram("h", "H").buckets(vec![1.0]).build().unwrap();
        h.observe(0.5).unwrap();
        h.observe(5.0).unwrap();
        let mut out = Vec::new();
        encode(&reg.snapshot(), &mut out);
        let mut buf = &out[..];
        let c = pb::MetricFamily::decode_length_delimited(&mut buf).unwrap();
        assert_eq!(c.name.as_deref(), Some("c_total"));
        assert_eq!(c.metric[0].counter.as_ref().unwrap().value, Some(2.5));
        assert_eq!(c.metric[0].label[0].value.as_deref(), Some("x"));
        let h = pb::MetricFamily::decode_length_delimited(&mut buf).unwrap();
        assert_eq!(h.r#type, Some(pb::MetricType::Histogram as i32));
        let hist = h.metric[0].histogram.as_ref().unwrap();
        assert_eq!(hist.sample_count, Some(2));
        assert_eq!(hist.bucket[0].cumulative_count, Some(1));
        assert!(buf.is_empty());
    }
}
