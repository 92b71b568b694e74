//! Every file change, computed before anything is written: shown as unified diffs by `--dry-run`,
//! then applied one file at a time. A file whose content (and mode) is already right is not
//! touched, so a second run changes nothing, not even a modification time.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::files::{self, Existing};

/// What a file should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Permission bits.
    pub mode: u32,
    /// Owner `(uid, gid)`, or `None` to leave it to the creating process.
    pub owner: Option<(u32, u32)>,
}

/// One file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path on the target system, for messages (`/etc/prometheus/prometheus.yml`).
    pub target: PathBuf,
    /// The path on this machine (under `--root`).
    pub host: PathBuf,
    /// The file as it is, if it exists.
    pub old: Option<Existing>,
    /// The file as it should be; `None` to remove it.
    pub new: Option<Content>,
    /// Whether the old content is kept as a timestamped backup before it is replaced or removed.
    pub backup: bool,
}

/// What applying a [`Change`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The file is right already.
    Keep,
    /// A new file.
    Create,
    /// New content (or mode) for an existing file.
    Replace,
    /// The file goes away.
    Remove,
}

impl Change {
    /// What applying this change does.
    pub fn action(&self) -> Action {
        match (&self.old, &self.new) {
            (None, None) => Action::Keep,
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Remove,
            (Some(old), Some(new)) if old.bytes == new.bytes && old.mode == new.mode => {
                Action::Keep
            }
            (Some(_), Some(_)) => Action::Replace,
        }
    }

    /// The change as a unified diff (`--- a/path`, `+++ b/path`), or one line for binaries.
    pub fn diff(&self) -> String {
        let shown = self.target.display().to_string();
        let (from, to) = match self.action() {
            Action::Keep => return String::new(),
            Action::Create => ("/dev/null".to_owned(), format!("b{shown}")),
            Action::Remove => (format!("a{shown}"), "/dev/null".to_owned()),
            Action::Replace => (format!("a{shown}"), format!("b{shown}")),
        };
        let old = self.old.as_ref().map_or(&[][..], |old| &old.bytes);
        let new = self.new.as_ref().map_or(&[][..], |new| &new.bytes);
        let mut out = String::new();
        match (std::str::from_utf8(old), std::str::from_utf8(new)) {
            (Ok(old_text), Ok(new_text)) if old != new => {
                let diff = TextDiff::from_lines(old_text, new_text);
                out.push_str(&diff.unified_diff().header(&from, &to).to_string());
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ if old != new => out.push_str(&format!(
                "Binary files {from} and {to} differ ({} -> {} bytes)\n",
                old.len(),
                new.len()
            )),
            _ => {}
        }
        if let (Some(old), Some(new)) = (&self.old, &self.new)
            && old.mode != new.mode
        {
            out.push_str(&format!("mode {shown}: {:o} -> {:o}\n", old.mode, new.mode));
        }
        out
    }
}

/// The files to change, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes, including those that keep their file as it is.
    pub changes: Vec<Change>,
}

/// A file the plan wrote or removed, with its backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The target-system path.
    pub target: PathBuf,
    /// What was done.
    pub action: Action,
    /// The backup of the old content, if one was made.
    pub backup: Option<PathBuf>,
}

impl Plan {
    /// Whether applying the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        self.changes
            .iter()
            .all(|change| change.action() == Action::Keep)
    }

    /// The change for `target`, if the plan has one that is not a [`Action::Keep`].
    pub fn changed(&self, target: &Path) -> Option<&Change> {
        self.changes
            .iter()
            .find(|change| change.target == target && change.action() != Action::Keep)
    }

    /// All diffs, one after the other.
    pub fn diff(&self) -> String {
        self.changes.iter().map(Change::diff).collect()
    }

    /// Writes every change, backups first; stops at the first failure, naming the file.
    pub fn apply(&self, stamp: &str) -> Result<Vec<Applied>, (PathBuf, std::io::Error)> {
        let mut applied = Vec::new();
        for change in &self.changes {
            let action = change.action();
            if action == Action::Keep {
                continue;
            }
            let fail = |error| (change.host.clone(), error);
            let backup = match (&change.old, change.backup) {
                (Some(old), true) => Some(files::backup(&change.host, old, stamp).map_err(fail)?),
                _ => None,
            };
            match &change.new {
                Some(new) => files::write_atomic(&change.host, &new.bytes, new.mode, new.owner)
                    .map_err(fail)?,
                None => files::remove(&change.host).map_err(fail)?,
            }
            applied.push(Applied {
                target: change.target.clone(),
                action,
                backup,
            });
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    fn existing(bytes: &[u8], mode: u32) -> Existing {
        Existing {
            bytes: bytes.to_vec(),
            mode,
            uid: 0,
            gid: 0,
        }
    }

    fn change(old: Option<Existing>, new: Option<&[u8]>, mode: u32) -> Change {
        Change {
            target: PathBuf::from("/etc/prometheus/prometheus.yml"),
            host: PathBuf::from("/nonexistent/etc/prometheus/prometheus.yml"),
            old,
            new: new.map(|bytes| Content {
                bytes: bytes.to_vec(),
                mode,
                owner: None,
            }),
            backup: true,
        }
    }

    #[test]
    fn actions_and_diffs() {
        let same = change(Some(existing(b"a\n", 0o644)), Some(b"a\n"), 0o644);
        assert_eq!(same.action(), Action::Keep);
        assert_eq!(same.diff(), "");

        let edited = change(
            Some(existing(b"scrape_configs:\n  - job_name: x\n", 0o644)),
            Some(b"scrape_configs:\n  - job_name: x\n  - job_name: pushgateway\n"),
            0o600,
        );
        assert_eq!(edited.action(), Action::Replace);
        expect![[r#"
            --- a/etc/prometheus/prometheus.yml
            +++ b/etc/prometheus/prometheus.yml
            @@ -1,2 +1,3 @@
             scrape_configs:
               - job_name: x
            +  - job_name: pushgateway
            mode /etc/prometheus/prometheus.yml: 644 -> 600
        "#]]
        .assert_eq(&edited.diff());

        let binary = change(None, Some(&[0xff, 0xfe, 0]), 0o755);
        assert_eq!(binary.action(), Action::Create);
        expect![[r#"
            Binary files /dev/null and b/etc/prometheus/prometheus.yml differ (0 -> 3 bytes)
        "#]]
        .assert_eq(&binary.diff());

        let removed = change(Some(existing(b"x\n", 0o644)), None, 0);
        assert_eq!(removed.action(), Action::Remove);
        assert!(
            removed
                .diff()
                .starts_with("--- a/etc/prometheus/prometheus.yml\n+++ /dev/null\n")
        );

        let plan = Plan {
            changes: vec![same, removed],
        };
        assert!(!plan.is_noop());
        assert!(
            plan.changed(Path::new("/etc/prometheus/prometheus.yml"))
                .is_some()
        );
    }
}
