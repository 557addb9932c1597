//! The manifest (`assignment.json`): title, steps and the files list. One
//! flat [`Step`] type for the four kinds keeps the JSON as the author wrote it.

use serde::{Deserialize, Serialize};

/// The format version this build writes and reads; a larger one is refused.
pub const FORMAT_VERSION: u64 = 1;

/// `assignment.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub idlab_assignment: u64,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The instructions' Markdown file, a path in the zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Whether expected values may be shown to the student (steps may override).
    #[serde(default)]
    pub reveal: bool,
    pub steps: Vec<Step>,
    /// Every file of the zip but `assignment.json`.
    #[serde(default)]
    pub files: Vec<FileEntry>,
}

/// One step: `run`, `numeric`, `choice` or `text`; fields a kind does not use are absent.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Markdown shown with the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// run: the spec file's path in the zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// run: spec fields the student may change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editable: Vec<Editable>,
    /// questions: Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// choice: the options, answered by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// numeric: `{run, path}` or `{value}`; choice: the right option's index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Tolerance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Overrides the manifest's `reveal` for this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<bool>,
}

/// A spec field the student may change, by JSON Pointer, with its range.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Editable {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

/// Correct when |x - expected| <= abs + rel * |expected|.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Tolerance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<f64>,
}

/// A file of the zip with its hash and size (both may be absent before `pack` fills them).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl Manifest {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Whether a step's expected value may be shown.
    pub fn reveals(&self, step: &Step) -> bool {
        step.reveal.unwrap_or(self.reveal)
    }
}

impl Step {
    pub fn is_question(&self) -> bool {
        matches!(self.kind.as_str(), "numeric" | "choice" | "text")
    }
}
