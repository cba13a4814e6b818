//! Writing output files atomically: the content goes to a temporary file beside the target,
//! which is then renamed over it, so a reader never sees half a report and an interrupted run
//! never leaves a truncated one.

use std::io::Write;
use std::path::Path;

/// An output file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}")]
pub struct OutputError {
    /// The file that could not be written.
    pub path: String,
    /// The underlying failure.
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_with(path, bytes, None)
}

/// Like [`write_atomically`], but the file keeps the permissions of the file it replaces, and a
/// new file gets `new_mode` (Unix permission bits) rather than the temporary file's 0600: for
/// a file a team shares or commits, such as a ledger.
pub fn replace_atomically(path: &Path, bytes: &[u8], new_mode: u32) -> Result<(), OutputError> {
    use std::os::unix::fs::PermissionsExt;
    let permissions = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions(),
        Err(_) => std::fs::Permissions::from_mode(new_mode),
    };
    write_with(path, bytes, Some(permissions))
}

fn write_with(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<(), OutputError> {
    let wrap = |source| OutputError {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(wrap)?;
    temp.write_all(bytes).map_err(wrap)?;
    if let Some(permissions) = permissions {
        temp.as_file().set_permissions(permissions).map_err(wrap)?;
    }
    temp.as_file().sync_all().map_err(wrap)?;
    temp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("out.xml");
        write_atomically(&path, b"a much longer first content")?;
        write_atomically(&path, b"short")?;
        assert_eq!(std::fs::read_to_string(&path)?, "short");
        Ok(())
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ledger.jsonl");
        replace_atomically(&path, b"one\n", 0o644)?;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o644
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664))?;
        replace_atomically(&path, b"one\ntwo\n", 0o644)?;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o664
        );
        assert_eq!(std::fs::read_to_string(&path)?, "one\ntwo\n");
        Ok(())
    }

    #[test]
    fn names_the_file_it_could_not_write() {
        let error = write_atomically(Path::new("/nonexistent-dir/x/out.xml"), b"x");
        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("/nonexistent-dir/x/out.xml"), "{message}");
    }
}
