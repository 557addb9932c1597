//! `idlab metric NAME`: one metric of two matrices (.npy, .npz, .csv, .mat), printed as one JSON
//! object (the lab's black-box interface for checks against other tools).

use crate::npy;
use idlab::metrics::registry::{compute, Direction, MetricName, MetricParams};
use idlab::data::splits::parse_split_file;
use idlab::metrics::splits::Split;
use std::path::{Path, PathBuf};

/// The command line's view of [`MetricParams`]; unset flags keep the defaults.
#[derive(clap::Args)]
pub struct MetricArgs {
    /// Source matrix X (stimuli x units): .npy (any float or integer dtype, C or Fortran order),
    /// .npz or .mat (FILE:KEY picks one of several arrays) or .csv (optional header and name column).
    #[arg(long)]
    pub x: PathBuf,
    /// Target matrix Y (same formats; the same stimuli in the same order, or matched by
    /// name when both are .csv files with a name column).
    #[arg(long)]
    pub y: PathBuf,
    /// Ridge penalty λ; a comma-separated list gives a λ sweep [default: 1].
    #[arg(long, value_delimiter = ',')]
    pub lambda: Option<Vec<f64>>,
    /// Number of random train/test splits [default: 10].
    #[arg(long)]
    pub folds: Option<usize>,
    /// Fraction of the stimuli held out in each split [default: 0.1].
    #[arg(long)]
    pub test_fraction: Option<f64>,
    /// Dimensions of the sparse random projection of X (none when X has fewer units) [default: 4096].
    #[arg(long)]
    pub projection_dim: Option<usize>,
    /// At most this many target units, subsampled with the seed [default: 3000].
    #[arg(long)]
    pub max_units: Option<usize>,
    /// Seed of every random choice (splits, projection, subsampling, permutations) [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// JSON file of train/test splits: {"splits": [{"train": [0, 2, ...], "test": [1, ...]}, ...]} (0-based rows).
    #[arg(long)]
    pub split_file: Option<PathBuf>,
    /// RDM distance: correlation, euclidean or cosine [default: correlation].
    #[arg(long)]
    pub rdm_distance: Option<String>,
    /// RDM comparison: tau-a, spearman, pearson or cosine [default: tau-a].
    #[arg(long)]
    pub compare: Option<String>,
    /// Permutations of the stimulus labels for RSA's p-value (0 skips it) [default: 10000].
    #[arg(long)]
    pub permutations: Option<usize>,
    /// X and Y are n x n RDMs, not responses.
    #[arg(long)]
    pub rdm_input: bool,
    /// forward: X predicts Y; backward: Y predicts X [default: forward].
    #[arg(long)]
    pub direction: Option<String>,
    /// RBF CKA bandwidth as a fraction of the median distance [default: 1].
    #[arg(long)]
    pub rbf_threshold: Option<f64>,
}

pub fn run(name: &str, args: MetricArgs) -> Result<(), String> {
    let metric = MetricName::parse(name).map_err(crate::cli::core)?;
    let (xt, yt) = (npy::read_table(&args.x)?, npy::read_table(&args.y)?);
    let x = npy::table_matrix(&xt)?;
    // Two tables that name their rows (.csv name columns) are matched by name:
    // Y's rows are put in X's order. Otherwise rows go by order.
    let y = match (&xt.row_names, &yt.row_names) {
        (Some(names), Some(_)) if yt.shape.len() == 2 => {
            idlab::data::align::responses(&yt, names).map_err(crate::cli::core)?
        }
        _ => npy::table_matrix(&yt)?,
    };
    let params = params(&args, x.nrows())?;
    let mut out = compute(metric, &x, &y, &params).map_err(crate::cli::core)?;
    // What the small-run rule did (k-fold instead of tiny splits) is in the JSON's `warnings`, and said here.
    for w in out["warnings"].as_array().into_iter().flatten().filter_map(|w| w.as_str()) {
        eprintln!("warning: {w}");
    }
    out["x"] = args.x.display().to_string().into();
    out["y"] = args.y.display().to_string().into();
    println!("{}", serde_json::to_string_pretty(&out).expect("JSON values serialise"));
    Ok(())
}

fn params(a: &MetricArgs, n: usize) -> Result<MetricParams, String> {
    let mut p = MetricParams::default();
    if let Some(v) = &a.lambda {
        p.lambda = v.clone();
    }
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = &a.$f { p.$f = v.clone(); } )* };
    }
    set!(folds, test_fraction, projection_dim, max_units, seed, rdm_distance, compare, permutations, rbf_threshold);
    p.rdm_input = a.rdm_input;
    p.direction = match a.direction.as_deref() {
        None | Some("forward") => Direction::Forward,
        Some("backward") => Direction::Backward,
        Some(other) => return Err(format!("--direction must be forward or backward, not '{other}'")),
    };
    if let Some(f) = &a.split_file {
        p.splits = Some(read_split_file(f, n)?);
    }
    Ok(p)
}

/// Reads and validates a split file against the number of stimuli.
pub fn read_split_file(path: &Path, n: usize) -> Result<Vec<Split>, String> {
    let show = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {show}: {e}"))?;
    parse_split_file(&text, n).map_err(|e| format!("{show}: {e}"))
}
