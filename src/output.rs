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
    fn names_the_file_it_could_not_write() {
        let error = write_atomically(Path::new("/nonexistent-dir/x/out.xml"), b"x");
        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("/nonexistent-dir/x/out.xml"), "{message}");
    }
}
