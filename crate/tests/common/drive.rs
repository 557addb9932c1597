//! One way to drive a run to its end, for a [`Session`] (one stimulus set) and
//! an [`Experiment`] (every set in turn) alike: what the front doors do, with
//! every step unwrapped.

use idlab::experiment::{Experiment, ExperimentResult, Progress, Session};

/// The calls a test makes on a run; [`Session`] and [`Experiment`] both have them.
pub trait Run {
    fn stimulus_paths(&self) -> Vec<String>;
    fn dataset_paths(&self) -> Vec<String>;
    fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> idlab::Result<()>;
    fn add_data(&mut self, name: &str, bytes: &[u8]) -> idlab::Result<()>;
    fn is_done(&self) -> bool;
    fn step(&mut self) -> idlab::Result<Progress>;
    fn result(&self, flavor: &str, seconds: f64) -> idlab::Result<ExperimentResult>;
}

macro_rules! run_for {
    ($t:ty) => {
        impl Run for $t {
            fn stimulus_paths(&self) -> Vec<String> {
                <$t>::stimulus_paths(self).to_vec()
            }
            fn dataset_paths(&self) -> Vec<String> {
                <$t>::dataset_paths(self)
            }
            fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> idlab::Result<()> {
                <$t>::add_stimulus(self, name, bytes)
            }
            fn add_data(&mut self, name: &str, bytes: &[u8]) -> idlab::Result<()> {
                <$t>::add_data(self, name, bytes)
            }
            fn is_done(&self) -> bool {
                <$t>::is_done(self)
            }
            fn step(&mut self) -> idlab::Result<Progress> {
                <$t>::step(self)
            }
            fn result(&self, flavor: &str, seconds: f64) -> idlab::Result<ExperimentResult> {
                <$t>::result(self, flavor, seconds)
            }
        }
    };
}
run_for!(Session);
run_for!(Experiment);

/// Steps `run` until it is done; every step's progress, in order.
pub fn steps<R: Run>(run: &mut R) -> Vec<Progress> {
    let mut steps = Vec::new();
    while !run.is_done() {
        steps.push(run.step().unwrap());
    }
    steps
}

/// Steps `run` to its end and returns its result (flavour "native", 0 s).
pub fn finish<R: Run>(run: &mut R) -> ExperimentResult {
    steps(run);
    run.result("native", 0.0).unwrap()
}
