//! Representational similarity analysis end to end (Kriegeskorte, Mur &
//! Bandettini 2008): an RDM per representation, their similarity, and
//! optionally a stimulus-label permutation p-value. The front door of the
//! `idlab metric rsa` command.

use super::check;
use super::mantel::{mantel, DEFAULT_PERMUTATIONS};
use super::rdm::{rdm, Distance, Rdm};
use super::rdm_compare::{compare, Compare};
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, FisherSnedecor, StudentsT};

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RsaOptions {
    /// Dissimilarity of the RDMs built from responses (ignored for RDM input).
    pub distance: Distance,
    pub compare: Compare,
    /// Stimulus-label permutations for the p-value; 0 skips the test.
    pub permutations: usize,
    pub seed: u64,
}

impl Default for RsaOptions {
    /// Correlation distance, Kendall tau-a, 10,000 permutations, seed 0.
    fn default() -> Self {
        RsaOptions {
            distance: Distance::Correlation,
            compare: Compare::TauA,
            permutations: DEFAULT_PERMUTATIONS,
            seed: 0,
        }
    }
}

/// Result of an RSA.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RsaResult {
    /// Similarity of the two RDMs.
    pub value: f64,
    /// One-sided permutation p-value, absent when no permutations were asked.
    pub p_value: Option<f64>,
    pub permutations: usize,
    pub stimuli: usize,
    /// None when the inputs were RDMs.
    pub distance: Option<Distance>,
    pub compare: Compare,
    pub seed: u64,
}

/// RSA of two responses to the same stimuli (rows = stimuli, columns = units).
pub fn rsa(x: &DMatrix<f64>, y: &DMatrix<f64>, opts: &RsaOptions) -> Result<RsaResult> {
    check::pair(x, y, 3, "RSA")?;
    let (a, b) = (rdm(x, opts.distance)?, rdm(y, opts.distance)?);
    let mut r = rsa_rdms(&a, &b, opts)?;
    r.distance = Some(opts.distance);
    Ok(r)
}

/// RSA of two RDMs over the same stimuli (validate user matrices with [`Rdm::from_matrix`]).
pub fn rsa_rdms(a: &Rdm, b: &Rdm, opts: &RsaOptions) -> Result<RsaResult> {
    let (value, p_value) = if opts.permutations > 0 {
        let m = mantel(a, b, opts.compare, opts.permutations, opts.seed)?;
        (m.value, Some(m.p_value))
    } else {
        (compare(a, b, opts.compare)?, None)
    };
    Ok(RsaResult {
        value,
        p_value,
        permutations: opts.permutations,
        stimuli: a.n(),
        distance: None,
        compare: opts.compare,
        seed: opts.seed,
    })
}

/// One F test of an ANOVA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FTest {
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    pub p_value: f64,
}

/// A paired t-test over subjects (two-sided), as `scipy.stats.ttest_rel`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedT {
    /// Mean over subjects of (first minus second).
    pub mean_difference: f64,
    pub t: f64,
    pub df: f64,
    pub p_value: f64,
}

/// Truzzi & Cusack's network x layer test: a two-way repeated-measures ANOVA
/// of per-subject similarities with network and layer as within-subject
/// factors (no sphericity correction, as the paper states none), and, for
/// two networks, paired t-tests layer by layer (uncorrected).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkLayerAnova {
    pub subjects: usize,
    pub networks: usize,
    pub layers: usize,
    /// Each network's mean over subjects and layers.
    pub network_means: Vec<f64>,
    pub network: FTest,
    pub layer: FTest,
    pub interaction: FTest,
    /// Two networks: per layer, first network minus second over subjects
    /// (null where the test is undefined: every subject's difference equal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_layer: Vec<Option<PairedT>>,
}

fn f_test(ss: f64, df1: f64, ss_err: f64, df2: f64, what: &str) -> Result<FTest> {
    if !(ss_err > 0.0) {
        return Err(Error::Input(format!("the {what} F test is undefined: its error term is zero (the subjects agree exactly)")));
    }
    let f = (ss / df1) / (ss_err / df2);
    let dist = FisherSnedecor::new(df1, df2).map_err(|e| Error::Input(format!("no F({df1}, {df2}) distribution for the {what} test ({e})")))?;
    Ok(FTest { f, df1, df2, p_value: dist.sf(f).clamp(0.0, 1.0) })
}

/// Paired t-test of `a - b` over subjects (at least 2; an all-equal difference is an error).
pub fn paired_t(a: &[f64], b: &[f64]) -> Result<PairedT> {
    if a.len() != b.len() || a.len() < 2 {
        return Err(Error::Input(format!("a paired t-test needs two equally long samples of at least 2, got {} and {}", a.len(), b.len())));
    }
    let n = a.len() as f64;
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let m = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    if !(var > 0.0) {
        return Err(Error::Input("a paired t-test is undefined when every difference is the same".into()));
    }
    let t = m / (var / n).sqrt();
    let df = n - 1.0;
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|e| Error::Input(format!("no t distribution with {df} degrees of freedom ({e})")))?;
    Ok(PairedT { mean_difference: m, t, df, p_value: (2.0 * dist.sf(t.abs())).min(1.0) })
}

/// Two-way repeated-measures ANOVA of `y[subject][network][layer]` (every
/// subject has every network at every layer, all finite).
pub fn network_layer_anova(y: &[Vec<Vec<f64>>]) -> Result<NetworkLayerAnova> {
    let n = y.len();
    let a = y.first().map_or(0, |s| s.len());
    let b = y.first().and_then(|s| s.first()).map_or(0, |l| l.len());
    if n < 2 || a < 2 || b < 2 {
        return Err(Error::Input(format!("a network x layer ANOVA needs at least 2 subjects, 2 networks and 2 layers, got {n}, {a} and {b}")));
    }
    if y.iter().any(|s| s.len() != a || s.iter().any(|l| l.len() != b || l.iter().any(|v| !v.is_finite()))) {
        return Err(Error::Input(format!("a network x layer ANOVA needs a finite value for each of {n} subjects, {a} networks and {b} layers")));
    }
    let (nf, af, bf) = (n as f64, a as f64, b as f64);
    let g = y.iter().flatten().flatten().sum::<f64>() / (nf * af * bf);
    let m_s: Vec<f64> = y.iter().map(|s| s.iter().flatten().sum::<f64>() / (af * bf)).collect();
    let m_a: Vec<f64> = (0..a).map(|i| y.iter().map(|s| s[i].iter().sum::<f64>()).sum::<f64>() / (nf * bf)).collect();
    let m_b: Vec<f64> = (0..b).map(|j| y.iter().map(|s| s.iter().map(|l| l[j]).sum::<f64>()).sum::<f64>() / (nf * af)).collect();
    let m_ab = |i: usize, j: usize| y.iter().map(|s| s[i][j]).sum::<f64>() / nf;
    let m_sa = |s: usize, i: usize| y[s][i].iter().sum::<f64>() / bf;
    let m_sb = |s: usize, j: usize| y[s].iter().map(|l| l[j]).sum::<f64>() / af;
    let sq = |x: f64| x * x;
    let ss_total: f64 = y.iter().flatten().flatten().map(|v| sq(v - g)).sum();
    let ss_s = af * bf * m_s.iter().map(|v| sq(v - g)).sum::<f64>();
    let ss_a = nf * bf * m_a.iter().map(|v| sq(v - g)).sum::<f64>();
    let ss_b = nf * af * m_b.iter().map(|v| sq(v - g)).sum::<f64>();
    let ss_ab = nf * (0..a).flat_map(|i| (0..b).map(move |j| (i, j))).map(|(i, j)| sq(m_ab(i, j) - m_a[i] - m_b[j] + g)).sum::<f64>();
    let ss_as = bf * (0..n).flat_map(|s| (0..a).map(move |i| (s, i))).map(|(s, i)| sq(m_sa(s, i) - m_s[s] - m_a[i] + g)).sum::<f64>();
    let ss_bs = af * (0..n).flat_map(|s| (0..b).map(move |j| (s, j))).map(|(s, j)| sq(m_sb(s, j) - m_s[s] - m_b[j] + g)).sum::<f64>();
    let ss_abs = (ss_total - ss_s - ss_a - ss_b - ss_ab - ss_as - ss_bs).max(0.0);
    let (da, db, ds) = (af - 1.0, bf - 1.0, nf - 1.0);
    let per_layer = if a == 2 {
        (0..b)
            .map(|j| {
                let (x, z): (Vec<f64>, Vec<f64>) = y.iter().map(|s| (s[0][j], s[1][j])).unzip();
                paired_t(&x, &z).ok()
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(NetworkLayerAnova {
        subjects: n,
        networks: a,
        layers: b,
        network_means: m_a,
        network: f_test(ss_a, da, ss_as, da * ds, "network")?,
        layer: f_test(ss_b, db, ss_bs, db * ds, "layer")?,
        interaction: f_test(ss_ab, da * db, ss_abs, da * db * ds, "network x layer")?,
        per_layer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    #[test]
    fn responses_and_their_rdms_give_the_same_result() {
        let mut r = SeededRng::new(2, 0);
        let x = DMatrix::from_fn(12, 5, |_, _| r.standard_normal());
        let y = x.map(|v| 2.0 * v + 0.1 * v * v);
        let opts = RsaOptions {
            permutations: 200,
            ..Default::default()
        };
        let a = rsa(&x, &y, &opts).unwrap();
        assert!(a.value > 0.5 && a.p_value.unwrap() < 0.05, "{a:?}");
        let (ra, rb) = (
            rdm(&x, opts.distance).unwrap(),
            rdm(&y, opts.distance).unwrap(),
        );
        let b = rsa_rdms(&Rdm::from_matrix(&ra.to_matrix()).unwrap(), &rb, &opts).unwrap();
        assert_eq!((a.value, a.p_value), (b.value, b.p_value));
        let none = rsa(
            &x,
            &y,
            &RsaOptions {
                permutations: 0,
                ..opts
            },
        )
        .unwrap();
        assert_eq!((none.value, none.p_value), (a.value, None));
        let e = rsa(&x, &y.rows(0, 11).into_owned(), &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("X has 12 rows, Y has 11"), "{e}");
    }

    #[test]
    fn names_parse_and_serialise_alike() {
        for d in ["correlation", "euclidean", "cosine", "squared-euclidean-per-channel"] {
            let parsed = Distance::parse(d).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), format!("\"{d}\""));
        }
        for c in ["tau-a", "spearman", "pearson", "cosine"] {
            let parsed = Compare::parse(c).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), format!("\"{c}\""));
        }
        assert!(Distance::parse("manhattan").unwrap_err().to_string().contains("manhattan"));
        assert!(Compare::parse("tau-b").unwrap_err().to_string().contains("tau-b"));
    }
}
