//! The flags of signed certificates: `--signing-key FILE` of `run` and `serve`, read into the
//! key the service signs with, and where `keygen` writes a pair. A bad value is a
//! [`UsageError`] naming the flag and the file, never the key's text.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use crate::cli::KeygenArgs;
use crate::keys::PrivateKey;
use crate::keys::files::{KeyPairPaths, read_private_key};

use super::UsageError;

/// The flag that names the private key a service signs certificates with.
pub const SIGNING_KEY_FLAG: &str = "--signing-key";

/// `error` followed by its causes, `: `-separated.
fn with_causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// Reads the private key of `--signing-key FILE`, when given.
pub fn signing_key(path: Option<&Path>) -> Result<Option<Arc<PrivateKey>>, UsageError> {
    let Some(path) = path else { return Ok(None) };
    read_private_key(path)
        .map(|key| Some(Arc::new(key)))
        .map_err(|e| UsageError(format!("{SIGNING_KEY_FLAG}: {}", with_causes(&e))))
}

/// Where `mpcert keygen` writes: `--out PREFIX` (PREFIX.key and PREFIX.pub) or `--private FILE
/// --public FILE`, two different files.
pub fn key_pair_paths(args: KeygenArgs) -> Result<KeyPairPaths, UsageError> {
    let paths = match (args.out, args.private, args.public) {
        (Some(prefix), _, _) => KeyPairPaths::from_prefix(&prefix),
        (None, Some(private), Some(public)) => KeyPairPaths { private, public },
        _ => {
            return Err(UsageError(
                "--out: name where the key pair goes: --out PREFIX, or --private FILE --public FILE"
                    .into(),
            ));
        }
    };
    if paths.private == paths.public {
        return Err(UsageError(format!(
            "--public: {} is the private key's file too; give two different files",
            paths.public.display()
        )));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::files::write_pair;

    fn keygen_args(out: Option<&str>, private: Option<&str>, public: Option<&str>) -> KeygenArgs {
        KeygenArgs {
            out: out.map(Into::into),
            private: private.map(Into::into),
            public: public.map(Into::into),
        }
    }

    #[test]
    fn a_prefix_or_two_different_files() {
        let paths = key_pair_paths(keygen_args(Some("ci/release"), None, None));
        assert_eq!(
            paths.map(|p| (p.private, p.public)),
            Ok(("ci/release.key".into(), "ci/release.pub".into()))
        );
        let same = key_pair_paths(keygen_args(None, Some("k"), Some("k")));
        assert!(same.is_err_and(|e| e.0.starts_with("--public: k is the private key's file")));
    }

    #[test]
    fn a_signing_key_that_cannot_be_used_names_the_flag_and_the_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("missing.key");
        let error = signing_key(Some(&missing)).err().map(|e| e.0);
        let expected = format!("--signing-key: {}: cannot read: ", missing.display());
        assert!(
            error.as_ref().is_some_and(|m| m.starts_with(&expected)),
            "{error:?}"
        );
        let paths = KeyPairPaths::from_prefix(&dir.path().join("k"));
        write_pair(&PrivateKey::generate(), &paths)?;
        let error = signing_key(Some(&paths.public)).err().map(|e| e.0);
        let expected = format!(
            "--signing-key: {}: not an ed25519 private key",
            paths.public.display()
        );
        assert!(
            error.as_ref().is_some_and(|m| m.starts_with(&expected)),
            "{error:?}"
        );
        assert!(signing_key(Some(&paths.private)).is_ok_and(|k| k.is_some()));
        assert!(signing_key(None).is_ok_and(|k| k.is_none()));
        Ok(())
    }
}
