//! Which weights the networks ran on: the papers' results are about trained
//! networks, so every run says, from its own models, which were trained and
//! which seeded (random, untrained).

use crate::experiment::result::{ExperimentResult, ModelInfo};

/// "trained on ImageNet-1k", "seeded (seed 0)" for one network; None for data.
fn weights_of(m: &ModelInfo) -> Option<bool> {
    match m.kind {
        "zoo" => Some(m.weights.is_some()),
        "onnx" | "tflite" => Some(true),
        _ => None,
    }
}

/// One sentence: how many networks ran on trained weights and how many on seeded ones.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    let nets: Vec<(&ModelInfo, bool)> = r.models.iter().filter_map(|m| weights_of(m).map(|t| (m, t))).collect();
    if nets.is_empty() {
        return Vec::new();
    }
    let seeded: Vec<&str> = nets.iter().filter(|(_, t)| !t).map(|(m, _)| m.label.as_str()).collect();
    let trained: Vec<&str> = nets.iter().filter(|(_, t)| *t).map(|(m, _)| m.label.as_str()).collect();
    let text = match (trained.len(), seeded.len()) {
        (0, n) => format!("Weights: all {n} networks ran on seeded (random, untrained) weights."),
        (n, 0) => format!("Weights: all {n} networks ran on trained weights or a user's model file ({})." , trained.join(", ")),
        (_, _) => format!(
            "Weights: {} ran on trained weights or a user's model file ({}); {} on seeded (random, untrained) weights.",
            trained.len(),
            trained.join(", "),
            seeded.len()
        ),
    };
    vec![text]
}
