//! One error type for the core, with messages written for the person who
//! caused them: which file, which layer, which field.

/// Everything the core can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The experiment spec is malformed or asks for something that does not exist.
    #[error("invalid spec: {0}")]
    Spec(String),
    /// A stimulus file could not be read as an image.
    #[error("cannot decode image {file}: {reason}")]
    Image { file: String, reason: String },
    /// The model could not be loaded or run by tract.
    #[error("model {model}: {reason}")]
    Model { model: String, reason: String },
    /// Matrices handed to a metric do not fit its definition.
    #[error("{0}")]
    Input(String),
    /// The run was asked for in the wrong order (e.g. a result before the work is done).
    #[error("{0}")]
    State(String),
}

pub type Result<T> = std::result::Result<T, Error>;
