//! Key files: writing a fresh pair (`mpcert keygen`) and reading either half. The private key
//! file is created with mode 0600 and never replaces an existing file; neither does the public
//! one. Every error names the file and what is wrong with it, never the key's text.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{KeyFormatError, PrivateKey, PublicKey};

/// The file name suffix of the private key `mpcert keygen --out PREFIX` writes.
pub const PRIVATE_SUFFIX: &str = ".key";

/// The file name suffix of the public key `mpcert keygen --out PREFIX` writes.
pub const PUBLIC_SUFFIX: &str = ".pub";

/// The mode of a private key file: readable and writable by its owner only.
pub const PRIVATE_MODE: u32 = 0o600;

/// Where a key pair goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairPaths {
    /// The private key file.
    pub private: PathBuf,
    /// The public key file.
    pub public: PathBuf,
}

impl KeyPairPaths {
    /// `PREFIX.key` and `PREFIX.pub`.
    pub fn from_prefix(prefix: &Path) -> Self {
        let with = |suffix: &str| {
            let mut name = prefix.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        KeyPairPaths {
            private: with(PRIVATE_SUFFIX),
            public: with(PUBLIC_SUFFIX),
        }
    }
}

/// A key file cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file is there already; a key is never overwritten.
    #[error(
        "{path}: exists already; a key file is never overwritten (remove it, or choose another path)"
    )]
    Exists {
        /// The file.
        path: String,
    },
    /// The file cannot be written.
    #[error("{path}: cannot write")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be read.
    #[error("{path}: cannot read")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no key of the kind asked for.
    #[error("{path}: {problem}")]
    Format {
        /// The file.
        path: String,
        /// What it is not.
        problem: KeyFormatError,
    },
}

impl KeyFileError {
    /// Whether the error is the caller's to fix by naming other files (the file exists, or
    /// holds no key), rather than the system's (it cannot be read or written).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            KeyFileError::Exists { .. } | KeyFileError::Format { .. }
        )
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The error of a key in the wrong format, in `path`.
fn format(path: &Path) -> impl Fn(KeyFormatError) -> KeyFileError + '_ {
    move |problem| KeyFileError::Format {
        path: shown(path),
        problem,
    }
}

/// Creates `path` with `mode`, failing if it exists, and writes `text` to it.
fn create_new(path: &Path, mode: u32, text: &str) -> Result<(), KeyFileError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeyFileError::Exists { path: shown(path) },
            _ => KeyFileError::Write {
                path: shown(path),
                source,
            },
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyFileError::Write {
            path: shown(path),
            source,
        })
}

/// Writes `key` and its public key to `paths`: the private key with mode 0600. Neither file may
/// exist; when the public key cannot be written, the private key just written is removed again.
pub fn write_pair(key: &PrivateKey, paths: &KeyPairPaths) -> Result<(), KeyFileError> {
    for path in [&paths.private, &paths.public] {
        if path.exists() {
            return Err(KeyFileError::Exists { path: shown(path) });
        }
    }
    let private = key.to_pem().map_err(format(&paths.private))?;
    let public = key.public_key().to_pem().map_err(format(&paths.public))?;
    create_new(&paths.private, PRIVATE_MODE, &private)?;
    if let Err(e) = create_new(&paths.public, 0o644, &public) {
        let _ = std::fs::remove_file(&paths.private);
        return Err(e);
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String, KeyFileError> {
    std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: shown(path),
        source,
    })
}

/// Reads a private key file (PKCS#8 PEM).
pub fn read_private_key(path: &Path) -> Result<PrivateKey, KeyFileError> {
    let text = super::Zeroizing::new(read_text(path)?);
    PrivateKey::from_pem(&text).map_err(format(path))
}

/// Reads a public key file (SubjectPublicKeyInfo PEM).
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    PublicKey::from_pem(&read_text(path)?).map_err(format(path))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn writes_a_pair_that_reads_back_with_a_private_file_of_mode_0600()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let paths = KeyPairPaths::from_prefix(&dir.path().join("release"));
        assert_eq!(paths.private, dir.path().join("release.key"));
        let key = PrivateKey::generate();
        write_pair(&key, &paths)?;
        let mode = std::fs::metadata(&paths.private)?.permissions().mode() & 0o777;
        assert_eq!(mode, PRIVATE_MODE);
        assert_eq!(
            read_private_key(&paths.private)?.public_key(),
            key.public_key()
        );
        assert_eq!(read_public_key(&paths.public)?, key.public_key());
        Ok(())
    }

    #[test]
    fn never_overwrites_either_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let paths = KeyPairPaths::from_prefix(&dir.path().join("k"));
        std::fs::write(&paths.public, "keep me")?;
        let error = write_pair(&PrivateKey::generate(), &paths).err();
        assert!(
            matches!(&error, Some(KeyFileError::Exists { .. })),
            "{error:?}"
        );
        assert!(error.is_some_and(|e| e.is_usage() && e.to_string().contains("k.pub")));
        assert!(!paths.private.exists());
        assert_eq!(std::fs::read_to_string(&paths.public)?, "keep me");
        Ok(())
    }

    #[test]
    fn errors_name_the_file_and_what_is_wrong() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let paths = KeyPairPaths::from_prefix(&dir.path().join("k"));
        write_pair(&PrivateKey::generate(), &paths)?;
        let swapped = read_private_key(&paths.public).err().map(|e| e.to_string());
        let expected = format!("{}: not an ed25519 private key", paths.public.display());
        assert!(swapped.is_some_and(|m| m.starts_with(&expected)));
        let swapped = read_public_key(&paths.private).err().map(|e| e.to_string());
        let expected = format!("{}: not an ed25519 public key", paths.private.display());
        assert!(swapped.is_some_and(|m| m.starts_with(&expected)));
        let missing = read_public_key(&dir.path().join("none.pub")).err();
        assert!(matches!(&missing, Some(KeyFileError::Read { .. })));
        assert!(missing.is_some_and(|e| !e.is_usage() && e.to_string().contains("none.pub")));
        Ok(())
    }
}
