//! Representational similarity analysis end to end (Kriegeskorte, Mur &
//! Bandettini 2008): an RDM per representation, their similarity, and
//! optionally a stimulus-label permutation p-value. The front door of the
//! `idlab metric rsa` command.

use super::check;
use super::mantel::{mantel, DEFAULT_PERMUTATIONS};
use super::rdm::{rdm, Distance, Rdm};
use super::rdm_compare::{compare, Compare};
use crate::error::Result;
use nalgebra::DMatrix;
use serde::Serialize;

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
