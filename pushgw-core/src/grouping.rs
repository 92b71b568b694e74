//! Grouping keys: the label set in a push URL that names a group.

use crate::model::LabelPair;

/// The grouping key of a group: `job` plus any other labels from the push URL, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupingKey {
    labels: Vec<LabelPair>,
}

/// Why a push URL does not name a valid group. Each variant displays as the reference's 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupingKeyError {
    /// The job name is empty.
    #[error("job name is required")]
    JobRequired,
}

impl GroupingKey {
    /// Parses the percent-decoded path after `<prefix>/metrics/`, e.g. `job/some_job/instance/x`.
    pub fn from_path(path: &str) -> Result<Self, GroupingKeyError> {
        let _ = path;
        todo!("grouping keys")
    }

    /// The labels, sorted by name; `job` is always among them.
    pub fn labels(&self) -> &[LabelPair] {
        &self.labels
    }
}
