//! Welch's unequal-variance t-test (Welch 1947), two-sided; matches
//! `scipy.stats.ttest_ind(a, b, equal_var=False)`.
//!
//! t = (mean_a - mean_b) / sqrt(va/na + vb/nb) with sample variances (ddof 1),
//! Welch–Satterthwaite df = (va/na + vb/nb)² / ((va/na)²/(na-1) + (vb/nb)²/(nb-1)),
//! p = 2 · P(T_df > |t|) from `statrs`'s Student t survival function.

use crate::error::{Error, Result};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Clone, Debug, Serialize)]
pub struct WelchResult {
    /// The t statistic (positive when a's mean is larger).
    pub value: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    pub mean_a: f64,
    pub mean_b: f64,
    /// Sample variances (ddof 1).
    pub var_a: f64,
    pub var_b: f64,
    pub n_a: usize,
    pub n_b: usize,
}

fn moments(x: &[f64], name: &str) -> Result<(f64, f64)> {
    if x.len() < 2 {
        return Err(Error::Input(format!(
            "Welch's t-test needs at least 2 values in group {name}, got {}",
            x.len()
        )));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::Input(format!("group {name} has a non-finite value ({}) at {i}", x[i])));
    }
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    Ok((m, x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)))
}

/// Welch's t-test of two independent samples.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Result<WelchResult> {
    let (mean_a, var_a) = moments(a, "a")?;
    let (mean_b, var_b) = moments(b, "b")?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (sa, sb) = (var_a / na, var_b / nb);
    let se2 = sa + sb;
    if se2 == 0.0 {
        return Err(Error::Input("Welch's t-test is undefined: both groups have zero variance".into()));
    }
    let t = (mean_a - mean_b) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|e| {
        Error::Input(format!("Welch's t-test: no t distribution with {df} degrees of freedom ({e})"))
    })?;
    let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
    Ok(WelchResult { value: t, df, p_value, mean_a, mean_b, var_a, var_b, n_a: a.len(), n_b: b.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_groups_give_t_zero_p_one() {
        let r = welch_t_test(&[1.0, 2.0, 4.0], &[1.0, 2.0, 4.0]).unwrap();
        assert_eq!((r.value, r.p_value), (0.0, 1.0));
        assert!((r.df - 4.0).abs() < 1e-12);
    }

    #[test]
    fn antisymmetric_and_errors() {
        let (a, b) = ([1.0, 2.5, 3.0, 7.0], [0.5, 0.7, 1.0]);
        let (x, y) = (welch_t_test(&a, &b).unwrap(), welch_t_test(&b, &a).unwrap());
        assert_eq!(x.value, -y.value);
        assert_eq!(x.p_value, y.p_value);
        let e = welch_t_test(&[1.0, 1.0], &[2.0, 2.0]).unwrap_err().to_string();
        assert!(e.contains("both groups have zero variance"), "{e}");
        assert!(welch_t_test(&[1.0], &[2.0, 3.0]).unwrap_err().to_string().contains("group a"));
        assert!(welch_t_test(&[1.0, 2.0], &[2.0, f64::NAN]).unwrap_err().to_string().contains("group b"));
    }
}
