//! Statistics on scores and responses: the identifiability index, Welch's
//! t-test with Hedges' g and its power (`effect`), silhouette scores, classical MDS, and seeded unit subsampling and
//! response noise for the robustness analyses of the seed paper.

pub mod effect;
pub mod identifiability;
pub mod mds;
pub mod noise;
pub mod silhouette;
pub mod subsample;
pub mod welch;
