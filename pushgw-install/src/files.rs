//! Files on the target system: paths under `--root`, atomic replacement that keeps owner and
//! mode, and byte-identical backups.
//!
//! Every write goes to a sibling temporary file that is fsynced and renamed over the target, so a
//! crash leaves either the old or the new file, never half of one; the directory is fsynced too,
//! so that the rename itself survives.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// The target system's `/`: every path the installer reads or writes on it goes through here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    dir: PathBuf,
}

/// A file as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Its content.
    pub bytes: Vec<u8>,
    /// Its permission bits (`0o644`).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

impl Root {
    /// The target system mounted at `dir` (`/` for this machine).
    pub fn new(dir: &Path) -> Root {
        Root {
            dir: dir.to_owned(),
        }
    }

    /// The host path of `target`, a path on the target system (absolute, or relative to its
    /// `/`). `..` components are dropped, so nothing can point outside the root.
    pub fn host(&self, target: &Path) -> PathBuf {
        let mut host = self.dir.clone();
        for component in target.components() {
            if let Component::Normal(part) = component {
                host.push(part);
            }
        }
        host
    }

    /// Whether this is the machine's own `/`.
    pub fn is_system_root(&self) -> bool {
        self.dir == Path::new("/")
    }

    /// Follows symbolic links at `target` (up to 16), interpreting absolute link targets inside
    /// the root, and returns the target-system path of the real file: writing through the link
    /// keeps it a link, whereas a rename over it would replace it with a plain file.
    pub fn resolve(&self, target: &Path) -> io::Result<PathBuf> {
        let mut current = target.to_owned();
        for _ in 0..16 {
            match fs::symlink_metadata(self.host(&current)) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let link = fs::read_link(self.host(&current))?;
                    current = match current.parent() {
                        Some(parent) if link.is_relative() => parent.join(link),
                        _ => link,
                    };
                }
                _ => return Ok(current),
            }
        }
        Err(io::Error::other(format!(
            "too many levels of symbolic links at {}",
            target.display()
        )))
    }
}

/// Reads a file with its owner and mode; `None` when it does not exist.
pub fn read(path: &Path) -> io::Result<Option<Existing>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let meta = fs::metadata(path)?;
    Ok(Some(Existing {
        bytes,
        mode: meta.permissions().mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
    }))
}

/// Replaces (or creates) `path` with `bytes`, `mode` and, when given, owner `(uid, gid)`, through
/// a sibling temporary file: fsync, rename, fsync of the directory. Missing parent directories
/// are created (0755).
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other(format!("{} has no parent directory", path.display())))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} has no file name", path.display())))?;
    let temp = dir.join(format!(".{}.pushgw-install.tmp", name.to_string_lossy()));
    // A temporary file left by an interrupted run is ours to replace.
    match fs::remove_file(&temp) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
        }
        // After chown, which may clear set-id bits.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Copies `existing` (the current content of `path`) to `<path>.pushgw-install.<stamp>.bak` with
/// the same owner and mode, and returns the backup's path.
pub fn backup(path: &Path, existing: &Existing, stamp: &str) -> io::Result<PathBuf> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".pushgw-install.{stamp}.bak"));
    let backup = PathBuf::from(name);
    write_atomic(
        &backup,
        &existing.bytes,
        existing.mode,
        Some((existing.uid, existing.gid)),
    )?;
    Ok(backup)
}

/// Removes `path` (fine if it is gone already) and fsyncs its directory.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    }
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// This process' effective user id, from `/proc/self/status` (no `unsafe` `geteuid` call).
pub fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let uids = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    uids.split_whitespace().nth(1)?.parse().ok()
}

/// Finds `program` on `PATH`, then in `/usr/bin` and `/usr/sbin`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_stay_inside_the_root() {
        let root = Root::new(Path::new("/tmp/r"));
        assert_eq!(
            root.host(Path::new("/etc/prometheus/prometheus.yml")),
            Path::new("/tmp/r/etc/prometheus/prometheus.yml")
        );
        assert_eq!(
            root.host(Path::new("/../../etc/passwd")),
            Path::new("/tmp/r/etc/passwd")
        );
        assert_eq!(root.host(Path::new("etc/x")), Path::new("/tmp/r/etc/x"));
    }

    #[test]
    fn atomic_write_backup_and_symlinks() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = Root::new(dir.path());
        let real = root.host(Path::new("/etc/prometheus/real.yml"));
        write_atomic(&real, b"a: 1\n", 0o640, None).expect("write");
        std::os::unix::fs::symlink(
            "/etc/prometheus/real.yml",
            root.host(Path::new("/etc/p.yml")),
        )
        .expect("symlink");
        let resolved = root.resolve(Path::new("/etc/p.yml")).expect("resolve");
        assert_eq!(resolved, Path::new("/etc/prometheus/real.yml"));
        let existing = read(&real).expect("read").expect("exists");
        assert_eq!(existing.mode, 0o640);
        let backup = backup(&real, &existing, "20261125T000000Z").expect("backup");
        assert_eq!(fs::read(&backup).expect("backup content"), b"a: 1\n");
        assert_eq!(read(&backup).expect("read").expect("exists").mode, 0o640);
        let names: Vec<_> = fs::read_dir(real.parent().expect("dir"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
}
