//! The harness's one error type: a message for a failed request or an unexpected answer.

use std::fmt;

/// Something a harness call could not do, as a readable message (`GET http://...: connection
/// refused`). Tests mostly show it in a panic or keep it as the last error of a [`crate::wait_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
