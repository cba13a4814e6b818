//! The ledger's lock file, `PATH.lock`: created with `create_new`, so exactly one writer holds
//! it; a writer that finds it waits (polling) for a bounded time, then gives up and names the
//! lock. A lock is never broken automatically: a writer killed while holding it leaves it
//! behind, and the error says how old it is, which process made it and that deleting it is
//! safe once no mpcert is recording into the ledger. Holding it takes milliseconds (read,
//! write a temporary file, rename), so a lock that outlives the wait is almost surely stale.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a writer waits for another to release the lock by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How often a waiting writer looks again.
const POLL: Duration = Duration::from_millis(20);

/// The lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another writer held it for the whole wait.
    #[error(
        "{lock} has been held for {waited:?} ({holder}); if no mpcert is recording into the ledger, it is a stale lock left by a killed writer: delete it and record again"
    )]
    Busy {
        /// The lock file.
        lock: String,
        /// How long this writer waited.
        waited: Duration,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// The lock file could not be created for another reason.
    #[error("cannot create the lock file {lock}: {source}")]
    Io {
        /// The lock file.
        lock: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
}

/// A held lock; dropping it removes the lock file.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lock file of the ledger at `ledger`: the same path with `.lock` appended.
pub fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock of `ledger`, waiting at most `wait` for another writer to release it.
pub fn acquire(ledger: &Path, wait: Duration) -> Result<LockGuard, LockError> {
    let path = lock_path(ledger);
    let started = Instant::now();
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                let since = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                // The holder's note is for a person looking at a stale lock; the lock is the
                // file's existence, so a failed note is no reason to give it up.
                let _ = writeln!(file, "pid {} since {since} (Unix time)", std::process::id());
                return Ok(LockGuard { path });
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if started.elapsed() >= wait {
                    return Err(LockError::Busy {
                        lock: path.display().to_string(),
                        waited: started.elapsed(),
                        holder: holder(&path),
                    });
                }
                std::thread::sleep(POLL);
            }
            Err(source) => {
                return Err(LockError::Io {
                    lock: path.display().to_string(),
                    source,
                });
            }
        }
    }
}

/// What a lock file says about its holder, for the error of a writer that gave up.
fn holder(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => format!("by {}", text.trim()),
        Ok(_) => "its holder wrote no note".to_string(),
        Err(e) => format!("cannot read it: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_lock_goes_with_the_guard() -> Result<(), LockError> {
        let dir = tempfile::tempdir().map_err(|source| LockError::Io {
            lock: "tempdir".into(),
            source,
        })?;
        let ledger = dir.path().join("ledger.jsonl");
        let guard = acquire(&ledger, DEFAULT_WAIT)?;
        assert!(lock_path(&ledger).exists());
        let busy = acquire(&ledger, Duration::from_millis(50));
        let message = busy.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("ledger.jsonl.lock"), "{message}");
        assert!(message.contains("stale lock"), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(guard);
        assert!(!lock_path(&ledger).exists());
        acquire(&ledger, Duration::ZERO).map(drop)
    }
}
