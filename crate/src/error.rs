//! One error type for the core, with messages written for the person who
//! caused them: which file, which layer, which field.
//!
//! Each variant has a stable kind ([`Error::kind`]), which the page can
//! branch on, and an exit code ([`Error::exit_code`]) that the CLI exits
//! with, so a script can tell a bad spec from a bad image without reading
//! the message. `1` stays the CLI's generic failure (a file it cannot read,
//! a flag it refuses); clap exits `2` for a malformed command line.

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
    /// An input goes past a hard limit (a size, a count, a depth), found
    /// before anything of the claimed size is allocated; the message names
    /// the file, the limit and why it is there.
    #[error("{0}")]
    Limit(String),
}

/// Every kind with its CLI exit code, as `idlab --help`'s readers and the
/// README's table see them (`crate/tests/hostile.rs` checks each code).
pub const EXIT_CODES: &[(&str, u8)] = &[("spec", 3), ("image", 4), ("model", 5), ("input", 6), ("state", 7), ("limit", 8)];

impl Error {
    /// A stable, short name of the variant: `spec`, `image`, `model`,
    /// `input`, `state` or `limit` (never renamed; the messages may change).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Spec(_) => "spec",
            Error::Image { .. } => "image",
            Error::Model { .. } => "model",
            Error::Input(_) => "input",
            Error::State(_) => "state",
            Error::Limit(_) => "limit",
        }
    }

    /// The CLI's exit code for this kind (see [`EXIT_CODES`]).
    pub fn exit_code(&self) -> u8 {
        let kind = self.kind();
        EXIT_CODES.iter().find(|(k, _)| *k == kind).map_or(1, |&(_, c)| c)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        let all = [
            Error::Spec(String::new()),
            Error::Image { file: String::new(), reason: String::new() },
            Error::Model { model: String::new(), reason: String::new() },
            Error::Input(String::new()),
            Error::State(String::new()),
            Error::Limit(String::new()),
        ];
        let codes: Vec<u8> = all.iter().map(Error::exit_code).collect();
        assert_eq!(codes, [3, 4, 5, 6, 7, 8]);
        assert_eq!(all.iter().map(Error::kind).collect::<Vec<_>>(), EXIT_CODES.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    }
}
