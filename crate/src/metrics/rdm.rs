//! Representational dissimilarity matrices (Kriegeskorte, Mur & Bandettini
//! 2008, "Representational similarity analysis", Front. Syst. Neurosci.).
//!
//! An RDM holds one dissimilarity per pair of stimuli. It is stored condensed:
//! the upper triangle row by row, (0,1), (0,2), …, (1,2), … — the order of
//! `scipy.spatial.distance.pdist` and of rsatoolbox's `RDMs.get_vectors()` —
//! because every comparison only looks at those n(n-1)/2 values.

use super::check;
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::Serialize;

/// How two stimulus rows are turned into a dissimilarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    /// 1 - Pearson r of the two rows: `scipy.spatial.distance.pdist(x, 'correlation')`
    /// (also rsatoolbox `calc_rdm(..., method='correlation')`).
    Correlation,
    /// ||a - b||: `pdist(x, 'euclidean')`. Note that rsatoolbox's
    /// `calc_rdm(..., method='euclidean')` is not this: it returns the squared
    /// distance divided by the number of channels, see [`Distance::SquaredEuclideanPerChannel`].
    Euclidean,
    /// 1 - a·b / (||a|| ||b||): `pdist(x, 'cosine')`.
    Cosine,
    /// ||a - b||² / p, rsatoolbox `calc_rdm_euclidean` (its 'euclidean').
    SquaredEuclideanPerChannel,
}

impl Distance {
    /// Parses the names the CLI accepts: `correlation`, `euclidean`, `cosine`,
    /// `sqeuclidean-per-channel` (aliases `squared-euclidean-per-channel`, the
    /// name it serialises to, and `rsatoolbox-euclidean`).
    pub fn parse(s: &str) -> Result<Distance> {
        match s.to_ascii_lowercase().as_str() {
            "correlation" | "corr" => Ok(Distance::Correlation),
            "euclidean" => Ok(Distance::Euclidean),
            "cosine" => Ok(Distance::Cosine),
            "sqeuclidean-per-channel"
            | "squared-euclidean-per-channel"
            | "rsatoolbox-euclidean" => {
                Ok(Distance::SquaredEuclideanPerChannel)
            }
            _ => Err(Error::Input(format!(
                "unknown RDM distance '{s}': use correlation, euclidean, cosine or sqeuclidean-per-channel"
            ))),
        }
    }
}

/// A validated RDM over `n >= 3` stimuli, stored as its condensed upper triangle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rdm {
    n: usize,
    condensed: Vec<f64>,
}

/// Absolute tolerance, relative to the largest |value| (at least 1), used by
/// [`Rdm::from_matrix`] for symmetry and the zero diagonal.
pub const DEFAULT_TOLERANCE: f64 = 1e-8;

/// Position of the pair (i, j), i < j, in the condensed vector of an n-RDM.
#[inline]
pub fn condensed_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

impl Rdm {
    /// Number of stimuli.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The n(n-1)/2 dissimilarities of the upper triangle, row by row (pdist order).
    pub fn condensed(&self) -> &[f64] {
        &self.condensed
    }

    /// Dissimilarity of stimuli i and j (0 on the diagonal).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match i.cmp(&j) {
            std::cmp::Ordering::Equal => 0.0,
            std::cmp::Ordering::Less => self.condensed[condensed_index(self.n, i, j)],
            std::cmp::Ordering::Greater => self.condensed[condensed_index(self.n, j, i)],
        }
    }

    /// The full symmetric n x n matrix with a zero diagonal.
    pub fn to_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.n, self.n, |i, j| self.get(i, j))
    }

    /// An RDM from its condensed upper triangle (length n(n-1)/2, n >= 3, finite).
    pub fn from_condensed(condensed: Vec<f64>) -> Result<Rdm> {
        let m = condensed.len();
        // n(n-1)/2 = m  =>  n = (1 + sqrt(1 + 8m)) / 2
        let n = ((1.0 + (1.0 + 8.0 * m as f64).sqrt()) / 2.0).round() as usize;
        if n * (n - 1) / 2 != m {
            return Err(Error::Input(format!(
                "a condensed RDM has n(n-1)/2 values; {m} is not such a number"
            )));
        }
        if n < 3 {
            return Err(Error::Input(format!(
                "an RDM needs at least 3 stimuli, got {n}"
            )));
        }
        if let Some(k) = condensed.iter().position(|v| !v.is_finite()) {
            return Err(Error::Input(format!(
                "the RDM has a non-finite value ({}) at condensed position {k}",
                condensed[k]
            )));
        }
        Ok(Rdm { n, condensed })
    }

    /// Validates a user's square RDM with [`DEFAULT_TOLERANCE`].
    pub fn from_matrix(m: &DMatrix<f64>) -> Result<Rdm> {
        Rdm::from_matrix_with_tolerance(m, DEFAULT_TOLERANCE)
    }

    /// Validates a user's RDM: square, n >= 3, finite, symmetric and with a zero
    /// diagonal up to `tol * max(1, max |value|)`; names the first offending cell.
    /// The upper triangle is kept.
    pub fn from_matrix_with_tolerance(m: &DMatrix<f64>, tol: f64) -> Result<Rdm> {
        let (r, c) = m.shape();
        if r != c {
            return Err(Error::Input(format!(
                "an RDM must be square, got {r} rows and {c} columns"
            )));
        }
        if r < 3 {
            return Err(Error::Input(format!(
                "an RDM needs at least 3 stimuli, got {r}"
            )));
        }
        check::finite(m, "the RDM")?;
        let scale = m.iter().fold(1.0f64, |a, v| a.max(v.abs()));
        let eps = tol * scale;
        for i in 0..r {
            if m[(i, i)].abs() > eps {
                return Err(Error::Input(format!(
                    "an RDM has a zero diagonal, but cell ({i}, {i}) is {}",
                    m[(i, i)]
                )));
            }
        }
        for i in 0..r {
            for j in i + 1..r {
                if (m[(i, j)] - m[(j, i)]).abs() > eps {
                    return Err(Error::Input(format!(
                        "the RDM is not symmetric: cell ({i}, {j}) is {} but ({j}, {i}) is {}",
                        m[(i, j)],
                        m[(j, i)]
                    )));
                }
            }
        }
        let mut condensed = Vec::with_capacity(r * (r - 1) / 2);
        for i in 0..r {
            for j in i + 1..r {
                condensed.push(m[(i, j)]);
            }
        }
        Ok(Rdm { n: r, condensed })
    }

    /// The same RDM with its stimuli relabelled: new stimulus k is old `perm[k]`
    /// (rows and columns permuted together). Also used with repeated indices by
    /// the bootstrap, which must then drop the pairs of a stimulus with its copy.
    /// Refuses fewer than 3 indices or an index out of range.
    pub fn permuted(&self, perm: &[usize]) -> Result<Rdm> {
        let n = perm.len();
        if n < 3 {
            return Err(Error::Input(format!(
                "an RDM needs at least 3 stimuli, got {n} indices"
            )));
        }
        if let Some(&k) = perm.iter().find(|&&k| k >= self.n) {
            return Err(Error::Input(format!(
                "stimulus index {k} is out of range for an RDM of {} stimuli",
                self.n
            )));
        }
        let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
        for a in 0..n {
            for b in a + 1..n {
                condensed.push(self.get(perm[a], perm[b]));
            }
        }
        Ok(Rdm { n, condensed })
    }
}

/// The RDM of `x` (rows = stimuli, columns = units) under `distance`.
///
/// Matches `scipy.spatial.distance.pdist(x, 'correlation' | 'euclidean' |
/// 'cosine')`, and rsatoolbox `calc_rdm_euclidean` for
/// [`Distance::SquaredEuclideanPerChannel`]. Correlation and cosine are computed
/// as 1 - z_i·z_j of unit-normalised (centred for correlation) rows through one
/// blocked matrix product, clamped to [0, 2]; a row with zero variance
/// (correlation) or zero norm (cosine) makes the distance undefined and is
/// refused, naming the row. Rows are split over rayon threads; each value is
/// computed the same way whatever the thread count.
pub fn rdm(x: &DMatrix<f64>, distance: Distance) -> Result<Rdm> {
    check::min_rows(x, 3, "an RDM")?;
    check::finite(x, "X")?;
    if x.ncols() == 0 {
        return Err(Error::Input(
            "an RDM needs at least one unit (column), got 0".into(),
        ));
    }
    let n = x.nrows();
    let condensed = match distance {
        Distance::Correlation | Distance::Cosine => {
            let z = unit_rows(x, distance == Distance::Correlation)?;
            one_minus_gram(&z)
        }
        Distance::Euclidean => direct(x, |s| s.sqrt()),
        Distance::SquaredEuclideanPerChannel => {
            let p = x.ncols() as f64;
            direct(x, |s| s / p)
        }
    };
    Ok(Rdm { n, condensed })
}

/// The RDM of a layer known only through its Gram matrix K = X Xᵀ and its
/// row sums (what a streaming sink folds in, image by image, without keeping
/// X): the same distances as [`rdm`], from K_ij, K_ii and the row means
/// (covariance K_ij − s_i s_j / p). `units` is p.
pub fn rdm_from_gram(k: &DMatrix<f64>, row_sums: &[f64], units: usize, distance: Distance) -> Result<Rdm> {
    let n = k.nrows();
    if n < 3 {
        return Err(Error::Input(format!("an RDM needs at least 3 stimuli, got {n}")));
    }
    if units == 0 || row_sums.len() != n || k.ncols() != n {
        return Err(Error::Input(format!(
            "a Gram-form RDM needs an n x n Gram matrix and n row sums of at least one unit; got {} x {}, {} sums, {units} units",
            k.nrows(),
            k.ncols(),
            row_sums.len()
        )));
    }
    check::finite(k, "the Gram matrix")?;
    let p = units as f64;
    let center = distance == Distance::Correlation;
    // Per stimulus: the squared norm of its (centred) row.
    let norms: Vec<f64> = (0..n)
        .map(|i| if center { k[(i, i)] - row_sums[i] * row_sums[i] / p } else { k[(i, i)] })
        .collect();
    if matches!(distance, Distance::Correlation | Distance::Cosine) {
        for i in 0..n {
            // Rounding can leave a constant row's variance a hair above 0.
            if norms[i] <= 1e-12 * k[(i, i)].abs() || norms[i] <= 0.0 {
                let (what, name) = if center { ("zero variance", "correlation") } else { ("zero norm (all values 0)", "cosine") };
                return Err(Error::Input(format!("stimulus row {i} has {what}, so its {name} distance is undefined")));
            }
        }
    }
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let kij = k[(j, i)]; // symmetric: column i is contiguous
            let d = match distance {
                Distance::Correlation => {
                    let cov = kij - row_sums[i] * row_sums[j] / p;
                    (1.0 - cov / (norms[i] * norms[j]).sqrt()).clamp(0.0, 2.0)
                }
                Distance::Cosine => (1.0 - kij / (norms[i] * norms[j]).sqrt()).clamp(0.0, 2.0),
                Distance::Euclidean => (norms[i] + norms[j] - 2.0 * kij).max(0.0).sqrt(),
                Distance::SquaredEuclideanPerChannel => (norms[i] + norms[j] - 2.0 * kij).max(0.0) / p,
            };
            condensed.push(d);
        }
    }
    Ok(Rdm { n, condensed })
}

/// Rows centred (if asked) and scaled to unit norm; refuses a row that cannot be.
fn unit_rows(x: &DMatrix<f64>, center: bool) -> Result<DMatrix<f64>> {
    let (n, p) = x.shape();
    let mut z = x.clone();
    for i in 0..n {
        let first = x[(i, 0)];
        if center && x.row(i).iter().all(|&v| v == first) {
            return Err(Error::Input(format!(
                "stimulus row {i} has zero variance (all {p} values are {first}), so its correlation distance is undefined"
            )));
        }
        let mean = if center {
            x.row(i).iter().sum::<f64>() / p as f64
        } else {
            0.0
        };
        let mut ss = 0.0;
        for j in 0..p {
            let v = x[(i, j)] - mean;
            z[(i, j)] = v;
            ss += v * v;
        }
        if ss <= 0.0 {
            let what = if center {
                "zero variance"
            } else {
                "zero norm (all values 0)"
            };
            let name = if center { "correlation" } else { "cosine" };
            return Err(Error::Input(format!(
                "stimulus row {i} has {what}, so its {name} distance is undefined"
            )));
        }
        let inv = 1.0 / ss.sqrt();
        for j in 0..p {
            z[(i, j)] *= inv;
        }
    }
    Ok(z)
}

/// 1 - z_i·z_j for i < j, from the tiled Gram matrix (SIMD natively and in wasm).
fn one_minus_gram(z: &DMatrix<f64>) -> Vec<f64> {
    let n = z.nrows();
    let g = super::kernels::linear_gram(z);
    let mut out = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            out.push((1.0 - g[(j, i)]).clamp(0.0, 2.0)); // symmetric: column i is contiguous
        }
    }
    out
}

/// f(Σ (x_i - x_j)²) for i < j, computed directly (no cancellation).
fn direct(x: &DMatrix<f64>, f: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
    let n = x.nrows();
    let xt = x.transpose(); // column i = stimulus i, contiguous
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let a = xt.column(i);
            let a = a.as_slice();
            (i + 1..n)
                .map(|j| {
                    let b = xt.column(j);
                    let s: f64 = a
                        .iter()
                        .zip(b.as_slice())
                        .map(|(u, v)| (u - v) * (u - v))
                        .sum();
                    f(s)
                })
                .collect()
        })
        .collect();
    rows.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 0)
    }

    fn naive_corr(a: &[f64], b: &[f64]) -> f64 {
        let (ma, mb) = (
            a.iter().sum::<f64>() / a.len() as f64,
            b.iter().sum::<f64>() / b.len() as f64,
        );
        let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
        for (u, v) in a.iter().zip(b) {
            ab += (u - ma) * (v - mb);
            aa += (u - ma) * (u - ma);
            bb += (v - mb) * (v - mb);
        }
        1.0 - ab / (aa * bb).sqrt()
    }

    #[test]
    fn symmetric_zero_diagonal_and_matches_naive() {
        let x = random(20, 7, 1);
        for d in [
            Distance::Correlation,
            Distance::Euclidean,
            Distance::Cosine,
            Distance::SquaredEuclideanPerChannel,
        ] {
            let r = rdm(&x, d).unwrap();
            let m = r.to_matrix();
            assert_eq!(m, m.transpose());
            assert!((0..20).all(|i| m[(i, i)] == 0.0));
            assert_eq!(Rdm::from_matrix(&m).unwrap(), r);
        }
        let r = rdm(&x, Distance::Correlation).unwrap();
        let row = |i: usize| x.row(i).iter().copied().collect::<Vec<_>>();
        for (i, j) in [(0, 1), (3, 17), (18, 19)] {
            assert!((r.get(i, j) - naive_corr(&row(i), &row(j))).abs() < 1e-12);
        }
    }

    #[test]
    fn correlation_distance_ignores_per_stimulus_affine_rescaling() {
        let x = random(15, 9, 2);
        let mut y = x.clone();
        for i in 0..15 {
            let (a, b) = (0.5 + i as f64, -3.0 + 0.7 * i as f64);
            for j in 0..9 {
                y[(i, j)] = a * x[(i, j)] + b;
            }
        }
        let (rx, ry) = (
            rdm(&x, Distance::Correlation).unwrap(),
            rdm(&y, Distance::Correlation).unwrap(),
        );
        for (u, v) in rx.condensed().iter().zip(ry.condensed()) {
            assert!((u - v).abs() < 1e-12);
        }
        // Cosine ignores positive scaling only.
        let mut s = x.clone();
        for i in 0..15 {
            s.row_mut(i).scale_mut(1.0 + i as f64);
        }
        let (cx, cs) = (
            rdm(&x, Distance::Cosine).unwrap(),
            rdm(&s, Distance::Cosine).unwrap(),
        );
        for (u, v) in cx.condensed().iter().zip(cs.condensed()) {
            assert!((u - v).abs() < 1e-12);
        }
    }

    #[test]
    fn relabelling_stimuli_permutes_the_rdm() {
        let x = random(12, 5, 3);
        let perm = [3, 0, 11, 5, 1, 2, 4, 10, 9, 8, 7, 6];
        let xp = DMatrix::from_fn(12, 5, |i, j| x[(perm[i], j)]);
        let r = rdm(&x, Distance::Euclidean).unwrap();
        let rp = rdm(&xp, Distance::Euclidean).unwrap();
        assert_eq!(r.permuted(&perm).unwrap(), rp);
        assert!(r
            .permuted(&[0, 1, 12])
            .unwrap_err()
            .to_string()
            .contains("index 12"));
    }

    #[test]
    fn undefined_rows_and_bad_rdms_are_named() {
        let mut x = random(6, 4, 4);
        for j in 0..4 {
            x[(4, j)] = 2.5;
        }
        let e = rdm(&x, Distance::Correlation).unwrap_err().to_string();
        assert!(e.contains("row 4 has zero variance"), "{e}");
        assert!(rdm(&x, Distance::Cosine).is_ok());
        for j in 0..4 {
            x[(2, j)] = 0.0;
        }
        let e = rdm(&x, Distance::Cosine).unwrap_err().to_string();
        assert!(e.contains("row 2 has zero norm"), "{e}");
        let mut m = rdm(&random(5, 3, 5), Distance::Euclidean)
            .unwrap()
            .to_matrix();
        m[(3, 1)] += 0.1;
        let e = Rdm::from_matrix(&m).unwrap_err().to_string();
        assert!(e.contains("cell (1, 3)"), "{e}");
        m[(3, 1)] -= 0.1;
        m[(2, 2)] = 1.0;
        let e = Rdm::from_matrix(&m).unwrap_err().to_string();
        assert!(e.contains("cell (2, 2)"), "{e}");
        let e = Rdm::from_matrix(&DMatrix::zeros(2, 2))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 3"), "{e}");
        let e = Rdm::from_matrix(&DMatrix::zeros(3, 4))
            .unwrap_err()
            .to_string();
        assert!(e.contains("square"), "{e}");
        assert!(Rdm::from_condensed(vec![1.0; 4]).is_err());
        assert_eq!(Rdm::from_condensed(vec![1.0; 6]).unwrap().n(), 4);
    }

    #[test]
    fn same_bits_for_one_and_three_threads() {
        let x = random(150, 40, 6);
        let run = |t: usize| {
            crate::testing::in_pool(t, || {
                [Distance::Correlation, Distance::Euclidean].map(|d| {
                    rdm(&x, d)
                        .unwrap()
                        .condensed()
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                })
            })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn gram_form_matches_the_direct_rdm() {
        let x = crate::testing::normal_matrix(30, 17, 9, 0).map(|v| v + 0.3);
        let k = &x * x.transpose();
        let sums: Vec<f64> = (0..30).map(|i| x.row(i).sum()).collect();
        for d in [Distance::Correlation, Distance::Cosine, Distance::Euclidean, Distance::SquaredEuclideanPerChannel] {
            let a = rdm(&x, d).unwrap();
            let b = rdm_from_gram(&k, &sums, 17, d).unwrap();
            let worst = a.condensed().iter().zip(b.condensed()).map(|(u, v)| (u - v).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-10, "{d:?}: {worst}");
        }
        let mut c = x.clone();
        c.row_mut(4).fill(2.5);
        let kc = &c * c.transpose();
        let sc: Vec<f64> = (0..30).map(|i| c.row(i).sum()).collect();
        let e = rdm_from_gram(&kc, &sc, 17, Distance::Correlation).unwrap_err().to_string();
        assert!(e.contains("stimulus row 4 has zero variance"), "{e}");
    }
}
