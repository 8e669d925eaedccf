use std::path::PathBuf;

/// Everything that can go wrong loading, training or running a model. Messages are one line and
/// name the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The I/O error is part of the message, not a `source`: callers print the chain, and the
    /// message would otherwise repeat.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error(
        "{path}: SHA-256 is {actual}, the model card says {expected}: the file was changed or damaged"
    )]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{path}: could not load the weights: {message}")]
    Weights { path: PathBuf, message: String },
    #[error("no GPU found: {0}")]
    NoGpu(String),
    #[error("input: {0}")]
    Input(String),
    #[error("data: {0}")]
    Data(String),
    #[error("tensor: {0}")]
    Tensor(String),
    /// The caller asked the work to stop.
    #[error("stopped on request")]
    Stopped,
}

/// Preparing the data stopped or failed: the same two cases, one message each.
impl From<crate::prep::PrepError> for ModelError {
    fn from(err: crate::prep::PrepError) -> Self {
        match err {
            crate::prep::PrepError::Data(message) => Self::Data(message),
            crate::prep::PrepError::Stopped => Self::Stopped,
        }
    }
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            error,
        }
    }
}
