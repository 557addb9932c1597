//! What a spec needs before it runs, computed from its plans without drawing
//! an image or reading a file: the stimuli to fetch and each set's size, the
//! user's files and the shipped data. The page asks this to fill its form and
//! gather files; the run itself then takes the same lists from its sessions.

use super::runner::Experiment;
use super::session::WeightsNeed;
use crate::error::Result;
use serde::Serialize;

/// One stimulus set of the spec.
#[derive(Clone, Debug, Serialize)]
pub struct SetNeeds {
    /// The set's display name (an upload's folder in brackets).
    pub set: String,
    /// Images the run uses (after `limit`); None for an upload, whose images the page counts.
    pub n: Option<usize>,
    /// Images of the whole set, before `limit`; None for an upload.
    pub all: Option<usize>,
}

/// Everything a front door gathers before a run.
#[derive(Clone, Debug, Serialize)]
pub struct Needs {
    /// Every stimulus set, the spec's `stimuli` first.
    pub sets: Vec<SetNeeds>,
    /// Site-relative stimulus files of every set, in the order to add them.
    pub paths: Vec<String>,
    /// The user's ONNX and TFLite files.
    pub models: Vec<String>,
    /// The weights files: trained zoo models' (`kind` `file`: the user's;
    /// `url`: to fetch; `shipped`: at `url` in the site) and shipped TFLite
    /// models' (`shipped`), each handed to `add_weights` as `name`.
    pub weights: Vec<WeightsNeed>,
    /// The user's data files (`responses` and `rdms` values).
    pub data: Vec<String>,
    /// Site-relative paths of the shipped data.
    pub datasets: Vec<String>,
}

/// The needs of a spec's JSON text (a version 1 spec is upgraded); the spec's
/// error when it is invalid or its models need different input sizes.
pub fn needs_of_json(text: &str) -> Result<Needs> {
    let plans = Experiment::plans_from_json(text)?;
    let mut sets = Vec::new();
    for plan in &plans {
        plan.input_size()?;
        let stimuli = &plan.spec().stimuli;
        let all = match plan.stimulus_count() {
            Some(_) => Some(super::StimuliSpec { limit: None, ..stimuli.clone() }.resolve()?.names.len()),
            None => None,
        };
        sets.push(SetNeeds { set: stimuli.label(), n: plan.stimulus_count(), all });
    }
    let (models, data, datasets) = plans[0].files();
    Ok(Needs {
        sets,
        paths: plans.iter().flat_map(|p| p.stimulus_paths().iter().cloned()).collect(),
        models,
        weights: plans[0].weights_needed(),
        data,
        datasets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../www/presets/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn a_preset_lists_its_files_and_sizes() {
        let n = needs_of_json(&preset("linear-vs-nonlinear.json")).unwrap();
        assert_eq!((n.sets[0].n, n.sets[0].all), (Some(300), Some(1200)));
        assert_eq!(n.paths.len(), 300);
        assert_eq!(n.datasets, vec!["data/cowley-v4/responses.npy".to_string()]);
        assert!(n.models.is_empty() && n.data.is_empty());
    }

    #[test]
    fn several_sets_and_generated_ones_need_no_files() {
        let n = needs_of_json(&preset("which-stimuli-identify.json")).unwrap();
        assert_eq!(n.sets.len(), 3);
        assert!(n.sets.iter().all(|s| s.n.is_some() && s.n == s.all), "{:?}", n.sets);
        // Only the photographs are fetched; textures and objects are drawn by the session.
        assert_eq!(n.paths.len(), n.sets[0].n.unwrap());
    }

    #[test]
    fn an_upload_has_no_size_yet_and_user_files_are_listed() {
        let spec = r#"{"idlab": 2, "name": "mine", "stimuli": {"set": "upload", "folder": "imgs"},
            "sources": [{"onnx": "net.onnx", "layers": ["a"]}], "targets": [{"responses": "r.npy"}], "metrics": [{"name": "regression"}]}"#;
        let n = needs_of_json(spec).unwrap();
        assert_eq!((n.sets[0].n, n.sets[0].all), (None, None));
        assert_eq!((n.models, n.data), (vec!["net.onnx".to_string()], vec!["r.npy".to_string()]));
        assert!(n.paths.is_empty());
    }
}
