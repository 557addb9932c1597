//! Seeded draws of stimulus indices for the permutation test and the
//! bootstrap: each draw gets its own ChaCha8 stream (keyed by its number), so a
//! draw does not depend on which thread makes it or on the draws before it.

use crate::rng::{stream_id, SeededRng};

/// The generator of draw `k` of the procedure `name` (e.g. "rsa/mantel").
pub fn draw_rng(seed: u64, name: &str, k: usize) -> SeededRng {
    SeededRng::new(seed, stream_id(&format!("{name}/{k}")))
}

/// Uniform integer in 0..n from 48 random bits (bias below n / 2^48).
pub fn below(rng: &mut SeededRng, n: usize) -> usize {
    let hi = (rng.unit_f32() as f64) * 16_777_216.0; // 24 bits
    let lo = (rng.unit_f32() as f64) * 16_777_216.0;
    let u = (hi * 16_777_216.0 + lo) / 281_474_976_710_656.0; // [0, 1)
    ((u * n as f64) as usize).min(n - 1)
}

/// A uniformly random permutation of 0..n (Fisher-Yates).
pub fn permutation(rng: &mut SeededRng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for j in (1..n).rev() {
        p.swap(j, below(rng, j + 1));
    }
    p
}

/// n indices drawn from 0..n with replacement, sorted (as rsatoolbox's
/// `RDMs.subsample_pattern` orders them).
pub fn with_replacement(rng: &mut SeededRng, n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).map(|_| below(rng, n)).collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_permutations_and_roughly_uniform() {
        let mut counts = [[0u32; 4]; 4];
        for k in 0..4000 {
            let p = permutation(&mut draw_rng(1, "t", k), 4);
            let mut s = p.clone();
            s.sort();
            assert_eq!(s, vec![0, 1, 2, 3]);
            for (pos, &v) in p.iter().enumerate() {
                counts[pos][v] += 1;
            }
        }
        assert!(
            counts.iter().flatten().all(|&c| (900..1100).contains(&c)),
            "{counts:?}"
        );
        let b = with_replacement(&mut draw_rng(1, "b", 0), 50);
        assert!(b.windows(2).all(|w| w[0] <= w[1]) && b.iter().all(|&i| i < 50));
        assert_eq!(b, with_replacement(&mut draw_rng(1, "b", 0), 50));
    }
}
