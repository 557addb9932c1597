#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn welch_against_scipy() {
    common::metrics_stats::check_welch_against_scipy();
}

#[test]
fn silhouette_against_sklearn() {
    common::metrics_stats::check_silhouette_against_sklearn();
}

#[test]
fn mds_against_numpy() {
    common::metrics_stats::check_mds_against_numpy();
}

#[test]
fn identifiability_against_numpy() {
    common::metrics_stats::check_identifiability_against_numpy();
}

/// The noncentral t CDF against scipy.stats.nct to 1e-9; Welch's power
/// against scipy's dblquad of the same integral to 2e-4 (and within 0.003 of
/// a 200,000-draw simulation of ttest_ind), the noncentral-t approximation
/// against scipy to 1e-8; Hedges' g and its 95% interval (noncentral t
/// inversion) to 1e-7. Fixture: tests/fixtures/metrics/make_effect.py.
#[test]
fn effect_size_and_power_against_scipy() {
    use idlab::stats::effect::{hedges_g, nct_cdf, welch_power, welch_power_nct};
    let f: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/metrics/effect.json")).unwrap();
    let num = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k}"));
    let close = |got: f64, want: f64, tol: f64, what: String| assert!((got - want).abs() <= tol, "{what}: {got} vs reference {want}");
    for c in f["nct_cdf"].as_array().unwrap() {
        let (x, df, delta) = (num(c, "x"), num(c, "df"), num(c, "delta"));
        close(nct_cdf(x, df, delta), num(c, "cdf"), 1e-9, format!("nct cdf({x}, {df}, {delta})"));
    }
    for c in f["power"].as_array().unwrap() {
        let (na, nb) = (c["n_a"].as_u64().unwrap() as usize, c["n_b"].as_u64().unwrap() as usize);
        let (d, alpha) = (num(c, "d"), num(c, "alpha"));
        let p = welch_power(na, nb, d, alpha).unwrap();
        close(p, num(c, "power"), 2e-4, format!("power n = {na}, {nb}"));
        close(p, num(c, "simulated"), 3e-3, format!("power n = {na}, {nb} vs simulation"));
        close(welch_power_nct(na, nb, d, alpha).unwrap(), num(c, "power_nct"), 1e-8, format!("nct power n = {na}, {nb}"));
    }
    for c in f["hedges"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let v = |k: &str| -> Vec<f64> { serde_json::from_value(c[k].clone()).unwrap() };
        let g = hedges_g(&v("a"), &v("b"), 0.95).unwrap();
        close(g.g, num(c, "g"), 1e-9, format!("{name}: g"));
        close(g.d, num(c, "d"), 1e-9, format!("{name}: d"));
        close(g.ci_low, num(c, "ci_low"), 1e-7, format!("{name}: ci_low"));
        close(g.ci_high, num(c, "ci_high"), 1e-7, format!("{name}: ci_high"));
    }
}
