//! What the zoo benchmarks share.

/// The architectures named on the command line (`cargo bench --bench NAME -- a,b`), if any.
pub fn archs_asked() -> Option<Vec<String>> {
    std::env::args().skip(1).find(|a| !a.starts_with('-')).map(|a| a.split(',').map(String::from).collect())
}
