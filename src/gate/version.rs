//! Client versions as the gate reads them: `Major.Minor.Build`, three decimal numbers (a
//! leading `v`, as in a tag like `v2.4.0`, is allowed), and the `Major.Minor` a certificate
//! covers. A Build change needs no recertification; a Major or Minor change does.

use std::fmt;

/// A `Major.Minor.Build` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The Major.Minor a certificate covers.
    pub line: MajorMinor,
    /// The Build.
    pub build: u64,
}

/// The `Major.Minor` of a version: what a certificate covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MajorMinor {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
}

impl Version {
    /// Parses `Major.Minor.Build` (or `vMajor.Minor.Build`); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Version, String> {
        let bare = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let numbers = numbers(bare);
        match numbers.as_deref() {
            Some([major, minor, build]) => Ok(Version {
                line: MajorMinor {
                    major: *major,
                    minor: *minor,
                },
                build: *build,
            }),
            _ => Err(format!(
                "`{text}` is not a version Major.Minor.Build of three numbers (e.g. 2.4.0)"
            )),
        }
    }
}

impl MajorMinor {
    /// Parses a certificate's `certifiedVersion`, `Major.Minor`.
    pub fn parse(text: &str) -> Result<MajorMinor, String> {
        match numbers(text).as_deref() {
            Some([major, minor]) => Ok(MajorMinor {
                major: *major,
                minor: *minor,
            }),
            _ => Err(format!("`{text}` is not Major.Minor")),
        }
    }
}

/// The dot-separated decimal numbers of `text`, if it is nothing else.
fn numbers(text: &str) -> Option<Vec<u64>> {
    text.split('.')
        .map(|part| {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        })
        .collect()
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.line, self.build)
    }
}

impl fmt::Display for MajorMinor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_three_numbers_with_an_optional_v() {
        let version = Version::parse("v2.4.10");
        assert_eq!(version.map(|v| v.to_string()), Ok("2.4.10".to_string()));
        assert_eq!(
            Version::parse("2.4.0").map(|v| v.line),
            MajorMinor::parse("2.4")
        );
        for bad in [
            "2.4",
            "2.4.0.1",
            "2.4.x",
            "2..0",
            "",
            "2.4.0-rc1",
            " 2.4.0",
            "+1.2.3",
        ] {
            let error = Version::parse(bad).err().unwrap_or_default();
            assert!(
                error.contains("is not a version Major.Minor.Build"),
                "{bad}: {error}"
            );
        }
        assert!(MajorMinor::parse("2.4.0").is_err());
        assert!(Version::parse("99999999999999999999.0.0").is_err());
    }

    #[test]
    fn versions_order_by_major_then_minor_then_build() {
        let v = |t: &str| Version::parse(t).unwrap_or_else(|e| panic!("{e}"));
        assert!(v("2.10.0") > v("2.9.9"));
        assert!(v("3.0.0") > v("2.99.0"));
        assert!(v("2.4.1") > v("2.4.0"));
    }
}
