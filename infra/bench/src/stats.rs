//! Percentiles of a handful of samples.

use std::time::Duration;

/// The nearest-rank percentile: the smallest sample with at least `p` percent of the samples at or
/// below it. No interpolation, so every figure is one that was measured; with fewer than 100
/// samples p99 is the largest. `None` without samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// p50 and p99 of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub p50: f64,
    pub p99: f64,
}

impl Spread {
    pub fn of(samples: &[f64]) -> Option<Self> {
        Some(Self { p50: percentile(samples, 50.0)?, p99: percentile(samples, 99.0)? })
    }
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A function's init p50 over the floor's, both from the same run.
pub fn ratio(value: f64, floor: f64) -> Option<f64> {
    (floor > 0.0).then(|| value / floor)
}

/// Rounded for the report: two decimals are finer than anything measured here.
pub fn rounded(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_sample() {
        assert_eq!(percentile(&[5.0, 1.0, 3.0], 50.0), Some(3.0));
    }

    #[test]
    fn nearest_rank_takes_a_measured_sample_rather_than_interpolating() {
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();

        assert_eq!(percentile(&samples, 50.0), Some(5.0));
        assert_eq!(percentile(&samples, 90.0), Some(9.0));
        assert_eq!(percentile(&samples, 99.0), Some(10.0));
        assert_eq!(percentile(&samples, 0.0), Some(1.0));
    }

    #[test]
    fn with_fifteen_samples_p99_is_the_largest() {
        let samples: Vec<f64> = (1..=15).rev().map(f64::from).collect();

        assert_eq!(Spread::of(&samples), Some(Spread { p50: 8.0, p99: 15.0 }));
    }

    #[test]
    fn p99_of_two_hundred_samples_leaves_out_the_two_largest() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();

        assert_eq!(percentile(&samples, 99.0), Some(198.0));
    }

    #[test]
    fn no_samples_no_percentile() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn the_ratio_is_to_the_floor_and_undefined_without_one() {
        assert_eq!(ratio(30.0, 20.0), Some(1.5));
        assert_eq!(ratio(30.0, 0.0), None);
    }

    #[test]
    fn figures_are_rounded_to_two_decimals() {
        assert_eq!(rounded(12.3456), 12.35);
        assert_eq!(rounded(millis(Duration::from_micros(1500))), 1.5);
    }
}
