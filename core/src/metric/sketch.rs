//! A DDSketch (Masson, Rim, Lee, VLDB 2019): a quantile sketch with a guaranteed relative
//! error. Values fall into logarithmic bins of ratio gamma = (1+a)/(1-a); any quantile is
//! returned within a relative error `a` of a true sample value at that rank, as long as the
//! bins did not have to be collapsed. Memory is bounded by `MAX_BINS` bins per sign.

/// Relative accuracy of every quantile (1 %).
pub(crate) const RELATIVE_ACCURACY: f64 = 0.01;
/// Bins per sign. With gamma = 1.0202 this spans about 17 orders of magnitude before the
/// lowest bins collapse (which only degrades the lowest quantiles).
pub(crate) const MAX_BINS: usize = 2048;
/// Magnitudes below this count as zero.
const MIN_VALUE: f64 = 1e-9;

#[derive(Clone, Default, Debug)]
struct Store {
    offset: i32,
    bins: Vec<f64>,
}

impl Store {
    fn add(&mut self, index: i32, w: f64) {
        if self.bins.is_empty() {
            self.offset = index;
            self.bins.push(w);
            return;
        }
        let hi = self.offset + self.bins.len() as i32 - 1;
        if index < self.offset {
            if (hi - index) as usize >= MAX_BINS {
                self.bins[0] += w; // collapsed into the lowest bin
                return;
            }
            let grow = (self.offset - index) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.offset = index;
        } else if index > hi {
            self.bins.resize((index - self.offset) as usize + 1, 0.0);
            if self.bins.len() > MAX_BINS {
                let excess = self.bins.len() - MAX_BINS;
                let folded: f64 = self.bins.drain(..excess).sum();
                self.bins[0] += folded;
                self.offset += excess as i32;
            }
        }
        self.bins[(index - self.offset) as usize] += w;
    }

    fn merge(&mut self, other: &Store) {
        for (i, w) in other.bins.iter().enumerate() {
            if *w != 0.0 {
                self.add(other.offset + i as i32, *w);
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Sketch {
    pos: Store,
    neg: Store,
    zero: f64,
    count: f64,
}

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            pos: Store::default(),
            neg: Store::default(),
            zero: 0.0,
            count: 0.0,
        }
    }
}

impl Sketch {
    fn index(x: f64) -> i32 {
        (x.ln() / gamma().ln()).ceil() as i32
    }

    fn value(i: i32) -> f64 {
        let g = gamma();
        2.0 * g.powi(i) / (g + 1.0)
    }

    pub(crate) fn add(&mut self, v: f64, w: f64) {
        if v.is_nan() {
            return;
        }
        self.count += w;
        if v > MIN_VALUE {
            self.pos.add(Self::index(v.min(f64::MAX)), w);
        } else if v < -MIN_VALUE {
            self.neg.add(Self::index((-v).min(f64::MAX)), w);
        } else {
            self.zero += w;
        }
    }

    pub(crate) fn merge(&mut self, other: &Sketch) {
        self.pos.merge(&other.pos);
        self.neg.merge(&other.neg);
        self.zero += other.zero;
        self.count += other.count;
    }

    pub(crate) fn clear(&mut self) {
        self.pos.bins.clear();
        self.neg.bins.clear();
        self.zero = 0.0;
        self.count = 0.0;
    }

    #[cfg(test)]
    pub(crate) fn count(&self) -> f64 {
        self.count
    }

    /// The value at quantile `q` (0..=1), or NaN when empty.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        if self.count <= 0.0 {
            return f64::NAN;
        }
        let rank = q * (self.count - 1.0);
        let mut acc = 0.0;
        for (i, w) in self.neg.bins.iter().enumerate().rev() {
            acc += w;
            if acc > rank {
                return -Self::value(self.neg.offset + i as i32);
            }
        }
        acc += self.zero;
        if acc > rank {
            return 0.0;
        }
        for (i, w) in self.pos.bins.iter().enumerate() {
            acc += w;
            if acc > rank {
                return Self::value(self.pos.offset + i as i32);
            }
        }
        // Rounding of weighted counts can leave the top rank just out of reach.
        match self.pos.bins.len() {
            0 => 0.0,
            n => Self::value(self.pos.offset + n as i32 - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_relative_accuracy() {
        let mut s = Sketch::default();
        let mut values: Vec<f64> = (1..=10_000).map(|i| (i as f64) * 0.37).collect();
        for v in &values {
            s.add(*v, 1.0);
        }
        values.sort_by(f64::total_cmp);
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            let exact = values[(q * (values.len() - 1) as f64) as usize];
            let got = s.quantile(q);
            assert!(
                (got - exact).abs() <= RELATIVE_ACCURACY * exact + 1e-12,
                "q={q} exact={exact} got={got}"
            );
        }
    }

    #[test]
    fn negative_zero_and_positive_values_are_ordered() {
        let mut s = Sketch::default();
        for v in [-100.0, -1.0, 0.0, 1.0, 100.0] {
            s.add(v, 1.0);
        }
        assert!((s.quantile(0.0) + 100.0).abs() < 1.5);
        assert_eq!(s.quantile(0.5), 0.0);
        assert!((s.quantile(1.0) - 100.0).abs() < 1.5);
    }

    #[test]
    fn memory_stays_bounded_over_a_huge_range() {
        let mut s = Sketch::default();
        let mut v = 1e-8;
        while v < 1e300 {
            s.add(v, 1.0);
            v *= 1.01;
        }
        assert!(s.pos.bins.len() <= MAX_BINS);
        // The top quantile is still accurate after collapsing the low end.
        let top = s.quantile(1.0);
        assert!((top / 1e300 - 1.0).abs() < 0.03, "{top}");
    }

    #[test]
    fn merged_sketches_answer_like_one() {
        let (mut a, mut b) = (Sketch::default(), Sketch::default());
        (1..=500).for_each(|i| a.add(i as f64, 1.0));
        (501..=1000).for_each(|i| b.add(i as f64, 1.0));
        a.merge(&b);
        assert_eq!(a.count(), 1000.0);
        assert!((a.quantile(0.5) - 500.0).abs() <= 5.01);
    }
}
