//! A sweep that outgrows one machine, split into independent jobs and joined
//! again: what `idlab plan`, `idlab run --shard` and `idlab merge` rest on.
//!
//! Every score is a function of one source, one target and one stimulus set
//! (the metrics' randomness is seeded per metric, not drawn in run order), so
//! a spec can be cut along its sources or its targets and per stimulus set
//! without changing a number. [`plan`] makes the jobs, each a normal spec;
//! [`merge`] puts their scores back in the whole run's order and runs the
//! analyses that read several jobs' scores (identifiability, the class
//! comparison, predictivity vs specificity, the findings) on the whole table,
//! as a single run of the spec would. The cluster engines (Slurm arrays,
//! Kubernetes indexed jobs, AWS Batch arrays) schedule the jobs; nothing here
//! is a scheduler.

mod merge;
mod plan;

pub use merge::{merge, Part};
pub use plan::{hash as spec_hash, plan, Job, Split};
