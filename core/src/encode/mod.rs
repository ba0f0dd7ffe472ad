//! Encoders from a snapshot to bytes on the wire: the Prometheus text format 0.0.4, the
//! delimited protobuf format, and gzip around either.

pub mod protobuf;
pub mod remote_write;
pub mod text;

use crate::snapshot::FamilySnapshot;

/// A wire format of the Pushgateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Text exposition format 0.0.4.
    #[default]
    Text,
    /// Length-delimited `io.prometheus.client.MetricFamily` messages.
    Protobuf,
}

impl Format {
    /// The `Content-Type` header for this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    /// Appends one family in this format.
    pub fn encode_family(self, family: &FamilySnapshot, out: &mut Vec<u8>) {
        match self {
            Format::Text => text::encode_family(family, out),
            Format::Protobuf => protobuf::encode_family(family, out),
        }
    }
}

/// Compresses `data` with gzip at a fast level: pushes are frequent and bodies repetitive,
/// so the fast level gets most of the gain for a fraction of the CPU.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}
