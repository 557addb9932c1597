//! Ranks with ties averaged, as `scipy.stats.rankdata(v, method='average')`:
//! the rank-based RDM comparisons (Spearman) and the pooling of subject RDMs
//! for rank-based noise ceilings both need them.

/// 1-based ranks; tied values share the mean of the ranks they span.
/// Values must be finite (the callers have checked).
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_unstable_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // `==` so that -0.0 and 0.0 tie, as in scipy.
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // ranks start+1 ..= end, mean (start + 1 + end) / 2
        let r = (start + 1 + end) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = r;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_get_the_average_rank() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]),
            vec![4.0, 1.5, 5.0, 1.5, 6.0, 8.0, 3.0, 7.0]
        );
        assert_eq!(average_ranks(&[2.0, 2.0, 2.0]), vec![2.0; 3]);
        assert_eq!(average_ranks(&[0.0, -0.0, -1.0]), vec![2.5, 2.5, 1.0]);
        assert!(average_ranks(&[]).is_empty());
    }
}
