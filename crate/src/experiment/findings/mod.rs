//! What a run found, said in sentences computed from its result document:
//! the page and `idlab run`'s report show the same list, and no sentence
//! about a result is ever written by hand. Each analysis has its own file;
//! each returns nothing when the result holds none of its kind.

mod classes;
mod identify;
mod layers;
mod nrp;
mod rsa;
mod specificity;
mod weights;

use super::result::ExperimentResult;

/// Every finding of `r`, analysis by analysis.
pub fn findings(r: &ExperimentResult) -> Vec<String> {
    let mut out = weights::sentences(r);
    out.extend(identify::sentences(r));
    out.extend(layers::sentences(r));
    out.extend(classes::sentences(r));
    out.extend(rsa::sentences(r));
    out.extend(nrp::sentences(r));
    out.extend(specificity::sentences(r));
    out
}

/// A model's label as the result names it (its id when unknown).
pub(crate) fn label(r: &ExperimentResult, id: &str) -> String {
    r.model(id).map_or(id.to_string(), |m| m.label.clone())
}

/// "1 layer", "3 layers".
pub(crate) fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
