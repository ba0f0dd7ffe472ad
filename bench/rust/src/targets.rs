//! pushmetrics' own targets: a measured number each and the limit it must stay within,
//! printed as a table to read and again as Markdown, which bench/summary.py gathers with
//! the verdicts of every benchmark binary.

/// One target: what is measured, the measurement and its limit (lower is better).
pub struct Target {
    pub what: String,
    pub measured: f64,
    pub limit: f64,
}

impl Target {
    pub fn new(what: impl Into<String>, measured: f64, limit: f64) -> Target {
        Target {
            what: what.into(),
            measured,
            limit,
        }
    }

    /// `ok` or `MISSED`; a measurement that failed (NaN) misses.
    pub fn verdict(&self) -> &'static str {
        if self.measured <= self.limit {
            "ok"
        } else {
            "MISSED"
        }
    }
}

/// The table to read: target, measured, limit, verdict.
pub fn print_table(targets: &[Target]) {
    println!("{:<52} {:>10} {:>10}", "target", "measured", "limit");
    for t in targets {
        println!(
            "{:<52} {:>10.2} {:>10.2} {}",
            t.what,
            t.measured,
            t.limit,
            t.verdict()
        );
    }
}

/// The same rows as Markdown, for bench/summary.py.
pub fn print_markdown(targets: &[Target]) {
    println!("| target | measured | limit | verdict |");
    println!("| --- | ---: | ---: | --- |");
    for t in targets {
        println!(
            "| {} | {:.2} | {:.2} | {} |",
            t.what,
            t.measured,
            t.limit,
            t.verdict()
        );
    }
}
