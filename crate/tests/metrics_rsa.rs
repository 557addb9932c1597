#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn rdms_against_scipy() {
    common::metrics_rsa::check_rdms_against_scipy();
}

#[test]
fn compare_against_rsatoolbox() {
    common::metrics_rsa::check_compare_against_rsatoolbox();
}

#[test]
fn noise_ceiling_against_rsatoolbox() {
    common::metrics_rsa::check_noise_ceiling_against_rsatoolbox();
}

#[test]
fn kriegeskorte92_against_rsatoolbox() {
    common::metrics_rsa::check_kriegeskorte92_against_rsatoolbox();
}

/// The network x layer ANOVA and its layer-wise paired t-tests against
/// scipy, computed another way (tests/fixtures/metrics/make_rm_anova.py).
#[test]
fn network_layer_anova_against_scipy() {
    use idlab::metrics::rsa::{network_layer_anova, FTest};
    let fx: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/metrics/rm_anova.json")).unwrap();
    let close = |a: f64, b: f64, what: &str| assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{what}: {a} vs {b}");
    let f = |got: &FTest, want: &serde_json::Value, what: &str| {
        close(got.f, want["f"].as_f64().unwrap(), what);
        assert_eq!((got.df1, got.df2), (want["df1"].as_f64().unwrap(), want["df2"].as_f64().unwrap()), "{what}");
        close(got.p_value, want["p_value"].as_f64().unwrap(), what);
    };
    for (c, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        let y: Vec<Vec<Vec<f64>>> = serde_json::from_value(case["y"].clone()).unwrap();
        let r = network_layer_anova(&y).unwrap();
        f(&r.network, &case["network"], &format!("case {c} network"));
        f(&r.layer, &case["layer"], &format!("case {c} layer"));
        f(&r.interaction, &case["interaction"], &format!("case {c} interaction"));
        for (j, (got, want)) in r.per_layer.iter().zip(case["per_layer"].as_array().unwrap()).enumerate() {
            let got = got.as_ref().unwrap();
            close(got.t, want["t"].as_f64().unwrap(), &format!("case {c} layer {j} t"));
            close(got.p_value, want["p_value"].as_f64().unwrap(), &format!("case {c} layer {j} p"));
        }
        assert_eq!(r.per_layer.len(), y[0][0].len());
    }
    let e = network_layer_anova(&[vec![vec![0.1, 0.2], vec![0.3, 0.4]]]).unwrap_err().to_string();
    assert!(e.contains("at least 2 subjects"), "{e}");
}
