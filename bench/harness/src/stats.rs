//! Summaries of a sample: nearest-rank percentiles, so every figure is a value that was
//! actually measured.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// The nearest-rank percentile `p` (0..=100) of `sorted` (ascending, non-empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "percentile of an empty sample");
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median as usually defined (mean of the two middle values for an even count); NaN
/// (null in JSON) for no values.
pub fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    sorted
}

/// NaN (null in JSON) everywhere for no values.
pub fn summarize(values: &[f64]) -> Summary {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return Summary {
            n: 0,
            min: f64::NAN,
            p50: f64::NAN,
            p90: f64::NAN,
            p99: f64::NAN,
            max: f64::NAN,
            mean: f64::NAN,
        };
    }
    Summary {
        n: sorted.len(),
        min: sorted[0],
        p50: percentile(&sorted, 50.0),
        p90: percentile(&sorted, 90.0),
        p99: percentile(&sorted, 99.0),
        max: sorted[sorted.len() - 1],
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
    }
}

/// A 90 % bootstrap interval of median(a) / median(b): both samples resampled with
/// replacement 2,000 times (fixed seed, so a report is reproducible from its samples).
pub fn ratio_interval(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut ratios = Vec::with_capacity(2_000);
    let mut ra = vec![0.0; a.len()];
    let mut rb = vec![0.0; b.len()];
    for _ in 0..2_000 {
        for slot in ra.iter_mut() {
            *slot = a[next(a.len())];
        }
        for slot in rb.iter_mut() {
            *slot = b[next(b.len())];
        }
        let denominator = median(&rb);
        if denominator > 0.0 {
            ratios.push(median(&ra) / denominator);
        }
    }
    let ratios = sorted(&ratios);
    Some((percentile(&ratios, 5.0), percentile(&ratios, 95.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&values);
        assert_eq!(
            (s.p50, s.p90, s.p99, s.min, s.max),
            (50.0, 90.0, 99.0, 1.0, 100.0)
        );
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert!(median(&[]).is_nan());
        let (lo, hi) = ratio_interval(&[2.0, 2.1, 1.9, 2.0], &[1.0, 1.05, 0.95, 1.0]).unwrap();
        assert!(lo <= 2.0 && hi >= 2.0 && lo > 1.5 && hi < 2.5, "{lo} {hi}");
    }
}
