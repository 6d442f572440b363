//! Medians with their spread, and how figures are printed.

use std::time::Duration;

/// Several runs of one figure.
#[derive(Debug, Clone, Default)]
pub struct Runs(pub Vec<f64>);

impl Runs {
    pub fn push(&mut self, v: f64) {
        self.0.push(v);
    }

    pub fn push_ms(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }

    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }

    /// `median [min-max] unit`, with the precision the magnitude calls for.
    pub fn show(&self, unit: &str) -> String {
        format!(
            "{} [{}-{}] {unit}",
            num(self.median()),
            num(self.min()),
            num(self.max())
        )
    }

    /// The same for whole numbers that do not vary (call counts): `12`, or `12 [11-13]`.
    pub fn show_count(&self) -> String {
        if self.min() == self.max() {
            format!("{}", self.median())
        } else {
            format!("{} [{}-{}]", self.median(), self.min(), self.max())
        }
    }
}

pub fn num(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_runs() {
        assert_eq!(Runs(vec![3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(Runs(vec![4.0, 1.0, 3.0, 2.0]).median(), 2.5);
        assert_eq!(Runs(vec![4.0, 1.0, 3.0]).show("ms"), "3.00 [1.00-4.00] ms");
        assert!(Runs(vec![]).median().is_nan());
    }
}
