//! Where a presentation is written before it is published, and how it is published.
//!
//! A presentation owns its directory `DIR`. A run writes everything into the hidden
//! sibling `.DIR.ssf-partial/` (media under staging names, then their final names, the
//! manifests and the journal) and publishes by swapping that directory with `DIR` in one
//! step, so `DIR` is only ever the old presentation or the new one, never a mixture:
//!
//! | step | `DIR` | `.DIR.ssf-partial` |
//! |---|---|---|
//! | writing | old presentation (or absent), untouched | journal + growing media |
//! | finishing | untouched | final media, manifests, journal marked complete |
//! | swap (`renameat2(RENAME_EXCHANGE)`) | the new presentation (+ its journal) | the old one |
//! | clean-up | journal removed | removed |
//!
//! Where the filesystem cannot exchange (or off Linux), `DIR` is first renamed to
//! `.DIR.ssf-old` and the partial renamed to `DIR`: between the two renames `DIR` is
//! briefly absent (never mixed). Every state a kill can leave is recognised by the next
//! run or by recovery: a partial whose journal is not complete was interrupted (recover
//! or discard it); a complete one only needs publishing; a partial without a journal is
//! the old copy of a finished swap (or a run killed before it wrote anything) and is
//! removed; so is a `.DIR.ssf-old` once `DIR` exists.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::journal::{self, JOURNAL_NAME, Record};
use crate::error::{Error, Result};

/// Extensions of the files a presentation directory may hold.
const PRESENTATION_EXTENSIONS: [&str; 5] = ["ism", "ismc", "ismv", "isma", "ismt"];

/// The three paths of one presentation directory.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// `DIR`: the published presentation.
    pub target: PathBuf,
    /// `.DIR.ssf-partial`: the run in progress.
    pub partial: PathBuf,
    /// `.DIR.ssf-old`: the previous presentation during a swap without exchange.
    pub old: PathBuf,
}

/// What a directory holds besides the published presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leftover {
    /// Nothing left by an earlier run.
    None,
    /// A run was interrupted while writing: recover or discard.
    Interrupted,
    /// A run finished writing but was interrupted while publishing: publish.
    Unpublished,
}

impl Paths {
    /// The paths for presentation directory `dir` (or for its partial, when given the
    /// `.DIR.ssf-partial` path itself). The parent directory is created if missing.
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        let absolute = std::path::absolute(dir).map_err(|source| Error::Io {
            op: "resolve",
            path: dir.to_path_buf(),
            source,
        })?;
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "{}: {why} (a presentation needs a directory of its own)",
                dir.display()
            ))
        };
        let name = absolute
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| bad("has no usable directory name"))?;
        let name = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".ssf-partial"))
            .unwrap_or(name)
            .to_string();
        let parent = absolute
            .parent()
            .ok_or_else(|| bad("is a filesystem root"))?;
        fs::create_dir_all(parent).map_err(|source| Error::Io {
            op: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
        // Resolve the parent's symbolic links once, so the three paths share one
        // directory and the renames between them stay on one filesystem.
        let parent = fs::canonicalize(parent).map_err(|source| Error::Io {
            op: "resolve",
            path: parent.to_path_buf(),
            source,
        })?;
        Ok(Paths {
            target: parent.join(&name),
            partial: parent.join(format!(".{name}.ssf-partial")),
            old: parent.join(format!(".{name}.ssf-old")),
        })
    }

    /// Cleans what a finished swap left behind and tells whether an earlier run left
    /// work: an interrupted run, or one that only needs publishing.
    pub(crate) fn inspect(&self) -> Result<Leftover> {
        if let Some(journal) = self.journal_of(&self.target)?
            && is_complete(&journal)
        {
            remove_file(&self.target.join(JOURNAL_NAME))?;
        }
        if self.old.exists() && self.target.exists() {
            remove_tree(&self.old)?;
        }
        if !self.partial.exists() {
            return Ok(Leftover::None);
        }
        match self.journal_of(&self.partial)? {
            Some(records) if is_complete(&records) => Ok(Leftover::Unpublished),
            Some(_) => Ok(Leftover::Interrupted),
            None if self.target.exists() || !self.old.exists() => {
                // The old copy of a finished swap, or a run killed before it wrote its
                // journal: nothing to keep.
                remove_tree(&self.partial)?;
                Ok(Leftover::None)
            }
            None => Err(Error::Unrecoverable {
                path: self.partial.clone(),
                reason: format!(
                    "no journal, and the previous presentation is in {}; move one of them to {} by hand",
                    self.old.display(),
                    self.target.display()
                ),
            }),
        }
    }

    /// The journal records of a directory, or None when it has none. A journal another
    /// process holds locked belongs to a run still writing: an error.
    fn journal_of(&self, dir: &Path) -> Result<Option<Vec<Record>>> {
        let path = dir.join(JOURNAL_NAME);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    op: "open",
                    path,
                    source,
                });
            }
        };
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() {
            return Err(Error::InvalidState(format!(
                "{}: another run is writing this presentation now",
                self.target.display()
            )));
        }
        journal::read(dir).map(Some)
    }

    /// Checks that the target is a presentation directory (or absent) and creates the
    /// partial; fails if an earlier run left work there.
    pub(crate) fn begin(&self) -> Result<()> {
        match self.inspect()? {
            Leftover::None => {}
            Leftover::Interrupted | Leftover::Unpublished => {
                return Err(Error::Interrupted {
                    target: self.target.clone(),
                    partial: self.partial.clone(),
                });
            }
        }
        check_presentation_dir(&self.target)?;
        fs::create_dir(&self.partial).map_err(|source| match source.kind() {
            ErrorKind::AlreadyExists => Error::InvalidState(format!(
                "{}: another run is writing this presentation now",
                self.target.display()
            )),
            _ => Error::Io {
                op: "create directory",
                path: self.partial.clone(),
                source,
            },
        })
    }

    /// Removes the partial (and a stale old copy): the run's work is discarded.
    pub(crate) fn discard(&self) -> Result<()> {
        if self.partial.exists() {
            remove_tree(&self.partial)?;
        }
        if self.old.exists() && self.target.exists() {
            remove_tree(&self.old)?;
        }
        Ok(())
    }

    /// Makes the complete partial the presentation: swaps it with the target, then
    /// removes the journal and the old presentation.
    pub(crate) fn publish(&self) -> Result<()> {
        sync_dir(&self.partial)?;
        if self.target.exists() {
            if !exchange(&self.partial, &self.target)? {
                rename(&self.target, &self.old)?;
                rename(&self.partial, &self.target)?;
            }
        } else if self.old.exists() {
            // A swap without exchange was interrupted between its two renames.
            rename(&self.partial, &self.target)?;
        } else {
            rename(&self.partial, &self.target)?;
        }
        if let Some(parent) = self.target.parent() {
            sync_dir(parent)?;
        }
        remove_file(&self.target.join(JOURNAL_NAME))?;
        sync_dir(&self.target)?;
        for leftover in [&self.partial, &self.old] {
            if leftover.exists() {
                remove_tree(leftover)?;
            }
        }
        Ok(())
    }
}

fn is_complete(records: &[Record]) -> bool {
    records.last() == Some(&Record::Complete)
}

/// Refuses a target that exists but is not a directory of presentation files: it is
/// replaced whole, so anything else in it would be lost.
fn check_presentation_dir(dir: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Io {
                op: "inspect",
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    if !meta.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{}: exists and is not a directory (a symbolic link or a file); a presentation is written as a directory of its own",
            dir.display()
        )));
    }
    let entries = fs::read_dir(dir).map_err(|source| Error::Io {
        op: "list",
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            op: "list",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let ours = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PRESENTATION_EXTENSIONS.contains(&e));
        if !(is_file && ours) {
            return Err(Error::InvalidArgument(format!(
                "{} holds {:?}, which is not part of a Smooth presentation; a presentation owns its directory and replaces it whole, so choose a new or empty directory",
                dir.display(),
                entry.file_name()
            )));
        }
    }
    Ok(())
}

/// Swaps two directory entries atomically; false where the system or filesystem cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| Error::InvalidArgument(format!("{}: path holds a NUL byte", p.display())))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let source = std::io::Error::last_os_error();
    match source.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => Ok(false),
        _ => Err(Error::Io {
            op: "exchange",
            path: b.to_path_buf(),
            source,
        }),
    }
}

/// Swaps two directory entries atomically; false where the system or filesystem cannot.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool> {
    Ok(false)
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|source| Error::Io {
        op: "rename",
        path: from.to_path_buf(),
        source,
    })
}

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(Error::Io {
            op: "remove",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn remove_tree(path: &Path) -> Result<()> {
    fs::remove_dir_all(path).map_err(|source| Error::Io {
        op: "remove",
        path: path.to_path_buf(),
        source,
    })
}

/// Makes a directory's entries durable (renames and new files in it).
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| Error::Io {
            op: "sync",
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vod::journal::Journal;

    fn paths(root: &Path) -> Paths {
        Paths::new(&root.join("show")).unwrap()
    }

    fn write(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
    }

    fn stage(p: &Paths, file: &str, complete: bool) {
        p.begin().unwrap();
        let mut j = Journal::create(&p.partial, &[]).unwrap();
        write(&p.partial.join(file), file);
        if complete {
            j.append(&Record::Complete, false).unwrap();
        }
        // The run ends (its lock with it), as a killed or finished process would.
        drop(j);
    }

    #[test]
    fn partial_paths_map_back_to_their_target() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        assert_eq!(p.partial.file_name().unwrap(), ".show.ssf-partial");
        assert_eq!(p.old.file_name().unwrap(), ".show.ssf-old");
        let again = Paths::new(&p.partial).unwrap();
        assert_eq!(again.target, p.target);
    }

    #[test]
    fn publishing_replaces_the_old_presentation_whole() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        stage(&p, "a.ism", true);
        p.publish().unwrap();
        assert_eq!(fs::read_to_string(p.target.join("a.ism")).unwrap(), "a.ism");
        stage(&p, "b.ism", true);
        p.publish().unwrap();
        let names: Vec<_> = fs::read_dir(&p.target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["b.ism"], "old files and the journal are gone");
        assert!(!p.partial.exists() && !p.old.exists());
    }

    #[test]
    fn an_interrupted_run_blocks_the_next_until_discarded() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        stage(&p, "a.ism", false);
        assert_eq!(p.inspect().unwrap(), Leftover::Interrupted);
        let err = p.begin().unwrap_err().to_string();
        assert!(
            err.contains("interrupted") && err.contains("recover"),
            "{err}"
        );
        p.discard().unwrap();
        p.begin().unwrap();
    }

    #[test]
    fn leftovers_of_a_finished_swap_are_cleaned() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        // Killed after the exchange: the old copy (no journal) in the partial, the new
        // presentation with its complete journal in the target.
        fs::create_dir(&p.target).unwrap();
        write(&p.target.join("new.ism"), "new");
        let mut j = Journal::create(&p.target, &[]).unwrap();
        j.append(&Record::Complete, false).unwrap();
        drop(j);
        fs::create_dir(&p.partial).unwrap();
        write(&p.partial.join("old.ism"), "old");
        assert_eq!(p.inspect().unwrap(), Leftover::None);
        assert!(!p.partial.exists());
        assert!(!p.target.join(JOURNAL_NAME).exists());
        assert!(p.target.join("new.ism").exists());
    }

    #[test]
    fn a_swap_interrupted_between_renames_is_finished() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        stage(&p, "new.ism", true);
        fs::create_dir(&p.old).unwrap();
        write(&p.old.join("old.ism"), "old");
        assert_eq!(p.inspect().unwrap(), Leftover::Unpublished);
        p.publish().unwrap();
        assert!(p.target.join("new.ism").exists());
        assert!(!p.old.exists() && !p.partial.exists());
    }

    #[test]
    fn foreign_files_in_the_target_are_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        fs::create_dir(&p.target).unwrap();
        write(&p.target.join("notes.txt"), "mine");
        let err = p.begin().unwrap_err().to_string();
        assert!(err.contains("notes.txt"), "{err}");
        assert!(!p.partial.exists());
    }

    #[test]
    fn a_journal_locked_by_a_live_run_is_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let p = paths(root.path());
        p.begin().unwrap();
        let _journal = Journal::create(&p.partial, &[]).unwrap();
        let err = p.inspect().unwrap_err().to_string();
        assert!(err.contains("another run"), "{err}");
    }
}
