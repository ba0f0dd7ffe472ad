//! Target `names`: metric and label names through the public API must be accepted exactly
//! when they follow the rules of the data model (checked here against a reference written
//! from DESIGN.md), and refused with the error variant that names the offending value.

use crate::input::Input;
use crate::text_format::{is_label_name, is_metric_name};
use pushmetrics::{Error, Registry};

/// The target body.
pub fn names(data: &[u8]) {
    let mut input = Input::new(data);
    let kind = input.below(4);
    let name = input.string(24);
    let labels: Vec<String> = (0..input.below(5)).map(|_| input.string(12)).collect();
    let consts: Vec<String> = (0..input.below(3)).map(|_| input.string(12)).collect();
    let reserved = match kind {
        2 => Some("le"),
        3 => Some("quantile"),
        _ => None,
    };
    // What the data model says, in the order the checks are documented.
    let expected: Result<(), Error> = (|| {
        if !is_metric_name(&name) {
            return Err(Error::InvalidMetricName(name.clone()));
        }
        let mut seen: Vec<&str> = Vec::new();
        for n in labels.iter().chain(&consts) {
            if !is_label_name(n) || n.starts_with("__") || Some(n.as_str()) == reserved {
                return Err(Error::InvalidLabelName(n.clone()));
            }
            if seen.contains(&n.as_str()) {
                return Err(Error::DuplicateLabelName(n.clone()));
            }
            seen.push(n);
        }
        Ok(())
    })();

    let registry = Registry::new();
    let define = |kind: usize| -> Result<(), Error> {
        macro_rules! go {
            ($b:expr) => {{
                let mut b = $b.labels(&labels);
                for c in &consts {
                    b = b.const_label(c, "v");
                }
                b.build_vec().map(|_| ())
            }};
        }
        match kind {
            0 => go!(registry.counter(&name, "help")),
            1 => go!(registry.gauge(&name, "help")),
            2 => go!(registry.histogram(&name, "help")),
            _ => go!(registry.summary(&name, "help")),
        }
    };
    let got = define(kind);
    assert_eq!(
        got, expected,
        "name {name:?}, labels {labels:?}, constant labels {consts:?}"
    );
    match got {
        Err(e) => {
            // The message names the offending value, as the caller wrote it.
            let offending = match &e {
                Error::InvalidMetricName(v)
                | Error::InvalidLabelName(v)
                | Error::DuplicateLabelName(v) => v,
                other => panic!("unexpected {other:?}"),
            };
            assert!(e.to_string().contains(&format!("{offending:?}")), "{e}");
        }
        Ok(()) => {
            // The same definition again is the same metric; another type is a conflict.
            assert_eq!(define(kind), Ok(()));
            // (Unless a label name is reserved for the other type: that check comes first.)
            let other_kind = (kind + 1) % 4;
            let other_reserved = [None, None, Some("le"), Some("quantile")][other_kind];
            let other = define(other_kind);
            match other_reserved.filter(|r| labels.iter().chain(&consts).any(|n| n == r)) {
                Some(r) => assert_eq!(other, Err(Error::InvalidLabelName(r.to_string()))),
                None => assert!(matches!(other, Err(Error::Conflict { .. })), "{other:?}"),
            }
        }
    }
}
