//! Exact optimal transport between two uniform discrete distributions: the
//! transportation problem min Σ Pᵢⱼ Cᵢⱼ over P ≥ 0 with row sums 1/m and
//! column sums 1/n (what POT's `ot.emd` / `ot.emd2` solve, there by network
//! simplex).
//!
//! Solved here by successive shortest paths with node potentials (Edmonds &
//! Karp 1972, "Theoretical improvements in algorithmic efficiency for network
//! flow problems", J. ACM 19(2); Ahuja, Magnanti & Orlin 1993, "Network
//! Flows", ch. 9.7) on the integer-scaled problem: source i supplies n/g units,
//! sink j demands m/g units (g = gcd(m, n)), so every flow is an integer and
//! the plan is exact; only the costs are floating point. Each round runs a
//! dense Dijkstra on reduced costs (O((m+n)² + m n)) from all sources with
//! supply left to the nearest sink with demand left and pushes the bottleneck
//! along that path. The number of rounds is typically a small multiple of
//! m + n, so the work is about (m + n) · m n; inputs above `MAX_CELLS` cost
//! cells are refused rather than left to run for minutes.

use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Largest m x n cost matrix accepted (1000 x 1000 units).
pub const MAX_CELLS: usize = 1_000_000;

/// An optimal plan: the nonzero cells of P (row, column, mass) and Σ Pᵢⱼ Cᵢⱼ.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Plan {
    pub cells: Vec<(usize, usize, f64)>,
    pub cost: f64,
    /// Augmenting paths used (for diagnostics).
    pub rounds: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Exact optimal transport with uniform masses 1/m on the rows and 1/n on the
/// columns of `cost` (m x n, finite).
pub fn uniform_emd(cost: &DMatrix<f64>) -> Result<Plan> {
    let (m, n) = cost.shape();
    if m == 0 || n == 0 {
        return Err(Error::Input(format!("optimal transport needs points on both sides, got {m} and {n}")));
    }
    if m.saturating_mul(n) > MAX_CELLS {
        return Err(Error::Input(format!(
            "exact optimal transport between {m} and {n} points ({} cost cells) is above this solver's limit of \
             {MAX_CELLS} cells (e.g. 1000 x 1000); reduce the number of units first (e.g. subsample or PCA)",
            m * n
        )));
    }
    super::check::finite(cost, "the transport cost matrix")?;
    // Row-major copy: the inner loops run over sinks.
    let c: Vec<f64> = (0..m).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| cost[(i, j)]).collect();
    let g = gcd(m, n);
    let mut supply = vec![(n / g) as u64; m];
    let mut demand = vec![(m / g) as u64; n];
    let total = (m / g) as u64 * n as u64;
    let mut remaining = total;
    let mut flow = vec![0u64; m * n];
    // Potentials with reduced costs c_ij + u_i - v_j >= 0 on every residual arc.
    let mut u = vec![0.0f64; m];
    let mut v: Vec<f64> = (0..n).map(|j| (0..m).map(|i| c[i * n + j]).fold(f64::INFINITY, f64::min)).collect();
    let (mut ds, mut dt) = (vec![0.0f64; m], vec![0.0f64; n]);
    let (mut done_s, mut done_t) = (vec![false; m], vec![false; n]);
    let (mut prev_s, mut prev_t) = (vec![usize::MAX; m], vec![usize::MAX; n]);
    let mut rounds = 0;
    while remaining > 0 {
        rounds += 1;
        for i in 0..m {
            ds[i] = if supply[i] > 0 { 0.0 } else { f64::INFINITY };
            done_s[i] = false;
            prev_s[i] = usize::MAX;
        }
        dt.fill(f64::INFINITY);
        done_t.fill(false);
        let target = loop {
            // Nearest unsettled node; sources before sinks on ties.
            let (mut best, mut at) = (f64::INFINITY, None);
            for i in 0..m {
                if !done_s[i] && ds[i] < best {
                    (best, at) = (ds[i], Some((true, i)));
                }
            }
            for j in 0..n {
                if !done_t[j] && dt[j] < best {
                    (best, at) = (dt[j], Some((false, j)));
                }
            }
            let Some((is_source, k)) = at else {
                return Err(Error::State("optimal transport: no augmenting path left (internal error)".into()));
            };
            if is_source {
                done_s[k] = true;
                let row = &c[k * n..(k + 1) * n];
                for j in 0..n {
                    if !done_t[j] {
                        let d = best + (row[j] + u[k] - v[j]).max(0.0);
                        if d < dt[j] {
                            dt[j] = d;
                            prev_t[j] = k;
                        }
                    }
                }
            } else {
                done_t[k] = true;
                if demand[k] > 0 {
                    break k;
                }
                // Residual backward arcs sink k -> source i where flow runs.
                for i in 0..m {
                    if !done_s[i] && flow[i * n + k] > 0 {
                        let d = best + (v[k] - u[i] - c[i * n + k]).max(0.0);
                        if d < ds[i] {
                            ds[i] = d;
                            prev_s[i] = k;
                        }
                    }
                }
            }
        };
        let reach = dt[target];
        for i in 0..m {
            u[i] += ds[i].min(reach);
        }
        for j in 0..n {
            v[j] += dt[j].min(reach);
        }
        // Bottleneck along the path target <- i <- j' <- i' ... <- root source.
        let mut push = demand[target];
        let mut j = target;
        let root = loop {
            let i = prev_t[j];
            match prev_s[i] {
                usize::MAX => break i,
                back => {
                    push = push.min(flow[i * n + back]);
                    j = back;
                }
            }
        };
        push = push.min(supply[root]);
        let mut j = target;
        loop {
            let i = prev_t[j];
            flow[i * n + j] += push;
            match prev_s[i] {
                usize::MAX => break,
                back => {
                    flow[i * n + back] -= push;
                    j = back;
                }
            }
        }
        supply[root] -= push;
        demand[target] -= push;
        remaining -= push;
    }
    let scale = 1.0 / total as f64;
    let mut cells = Vec::new();
    let mut cost_sum = 0.0;
    for i in 0..m {
        for j in 0..n {
            let f = flow[i * n + j];
            if f > 0 {
                cells.push((i, j, f as f64 * scale));
                cost_sum += f as f64 * c[i * n + j];
            }
        }
    }
    Ok(Plan { cells, cost: cost_sum * scale, rounds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn random_cost(m: usize, n: usize, seed: u64) -> DMatrix<f64> {
        let mut r = SeededRng::new(seed, crate::rng::stream_id("transport/test"));
        DMatrix::from_fn(m, n, |_, _| r.unit_f32() as f64)
    }

    /// All permutations of 0..n (n small).
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for k in 0..=p.len() {
                let mut q = p.clone();
                q.insert(k, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn square_case_is_the_best_permutation() {
        for seed in 0..10 {
            let c = random_cost(6, 6, seed);
            let plan = uniform_emd(&c).unwrap();
            let best = permutations(6)
                .iter()
                .map(|p| p.iter().enumerate().map(|(i, &j)| c[(i, j)]).sum::<f64>() / 6.0)
                .fold(f64::INFINITY, f64::min);
            assert!((plan.cost - best).abs() < 1e-12, "{} vs {best}", plan.cost);
            assert_eq!(plan.cells.len(), 6);
        }
    }

    #[test]
    fn marginals_hold_for_unequal_sizes() {
        let (m, n) = (7, 4);
        let plan = uniform_emd(&random_cost(m, n, 3)).unwrap();
        let (mut rows, mut cols) = (vec![0.0; m], vec![0.0; n]);
        for &(i, j, p) in &plan.cells {
            rows[i] += p;
            cols[j] += p;
        }
        assert!(rows.iter().all(|r| (r - 1.0 / m as f64).abs() < 1e-15));
        assert!(cols.iter().all(|c| (c - 1.0 / n as f64).abs() < 1e-15));
        // A basic optimal plan has at most m + n - 1 cells.
        assert!(plan.cells.len() < m + n);
    }

    #[test]
    fn refuses_large_problems_with_the_sizes() {
        let c = DMatrix::zeros(1001, 1000);
        let e = uniform_emd(&c).unwrap_err().to_string();
        assert!(e.contains("1001 and 1000 points") && e.contains("limit"), "{e}");
    }
}
