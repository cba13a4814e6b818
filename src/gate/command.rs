//! `mpcert gate` as a library function: checks the flags, reads the version (`--version` or
//! `--version-from`) and the ledger, and decides. A malformed flag, version, manifest or
//! ledger is a usage error (exit 2); a refusal is exit 4.

use crate::cli::{GateArgs, ProfileArg};
use crate::config::UsageError;
use crate::exit;
use crate::ledger;
use crate::pos::validate;

use super::decide::{Certified, Decision, Requirements, decide};
use super::manifest;
use super::version::{MajorMinor, Version};

/// What `mpcert gate` answers: its exit code and the message that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateOutcome {
    /// 0 (may ship), 4 (needs certification) or 2 (malformed input).
    pub code: u8,
    /// What to print: why it may ship, what is missing, or what is malformed.
    pub message: String,
}

/// `mpcert gate`.
pub fn gate(args: &GateArgs) -> GateOutcome {
    let decided = requirements(args).and_then(|requirements| {
        let entries =
            ledger::read(&args.ledger).map_err(|e| UsageError(format!("--ledger: {e}")))?;
        let certified = certified(&args.ledger, &entries)?;
        Ok(decide(&requirements, &certified))
    });
    match decided {
        Ok(Decision::Ship(message)) => GateOutcome {
            code: exit::PASSED,
            message,
        },
        Ok(Decision::Refuse(message)) => GateOutcome {
            code: exit::GATE_REFUSED,
            message,
        },
        Err(UsageError(message)) => GateOutcome {
            code: exit::USAGE,
            message,
        },
    }
}

/// The gate's requirements from its flags.
fn requirements(args: &GateArgs) -> Result<Requirements, UsageError> {
    let version = match (&args.version, &args.version_from) {
        (Some(text), _) => {
            Version::parse(text).map_err(|e| UsageError(format!("--version: {e}")))?
        }
        (None, Some(path)) => {
            manifest::read_version(path)
                .map_err(|e| UsageError(e.to_string()))?
                .version
        }
        (None, None) => {
            return Err(UsageError(
                "name the version that is to ship with --version X.Y.Z or --version-from FILE"
                    .into(),
            ));
        }
    };
    let client_id = match &args.client_id {
        Some(id) if validate::is_guid(id.trim()) => Some(id.trim().to_ascii_lowercase()),
        Some(id) => {
            return Err(UsageError(format!(
                "--client-id: `{id}` is not a MobilePay client id (a GUID, 8-4-4-4-12 hexadecimal digits)"
            )));
        }
        None => None,
    };
    let trusted_key = match &args.trust_key {
        Some(path) => Some(
            crate::keys::files::read_public_key(path)
                .map_err(|e| UsageError(format!("--trust-key: {e}")))?,
        ),
        None => None,
    };
    Ok(Requirements {
        trusted_key,
        version,
        categories: categories(&args.requires, args.allow_custom_catalogue)?,
        strict: args.profile == ProfileArg::Strict,
        real_time: args.require_real_time,
        allow_custom_catalogue: args.allow_custom_catalogue,
        client_id,
    })
}

/// The categories a certificate must certify: the mandatory ones and `--requires`, in the
/// built-in catalogue's order. A category the built-in catalogue lacks is refused unless a
/// custom catalogue is allowed (which may have it), and then comes last.
fn categories(requires: &[String], allow_custom: bool) -> Result<Vec<String>, UsageError> {
    let catalogue = crate::catalogue::builtin::load()
        .map_err(|e| UsageError(format!("the built-in catalogue: {e}")))?;
    let known: Vec<&str> = (catalogue.categories.iter())
        .map(|c| c.header.id.as_str())
        .collect();
    if let Some(unknown) = (requires.iter()).find(|r| !allow_custom && !known.contains(&r.as_str()))
    {
        return Err(UsageError(format!(
            "--requires: `{unknown}` is not a category of the built-in catalogue; use {}",
            known.join(", ")
        )));
    }
    let mut wanted: Vec<String> = (catalogue.categories.iter())
        .filter(|c| c.header.mandatory || requires.contains(&c.header.id))
        .map(|c| c.header.id.clone())
        .collect();
    for extra in requires {
        if !wanted.contains(extra) {
            wanted.push(extra.clone());
        }
    }
    Ok(wanted)
}

/// The ledger's certificates with the Major.Minor each certifies; one whose `certifiedVersion`
/// is not Major.Minor makes the ledger malformed.
fn certified<'a>(
    path: &std::path::Path,
    entries: &'a [ledger::Entry],
) -> Result<Vec<Certified<'a>>, UsageError> {
    entries
        .iter()
        .map(|entry| {
            let line = MajorMinor::parse(&entry.certificate.certified_version).map_err(|e| {
                let at = format!("{}:{}", path.display(), entry.line);
                UsageError(format!("--ledger: {at}: certifiedVersion {e}"))
            })?;
            Ok(Certified { line, entry })
        })
        .collect()
}
