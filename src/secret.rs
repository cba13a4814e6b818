//! A string that must never reach a log, report or error message (client secrets, tokens).
//! Its `Debug` and `Display` print a placeholder; the value is reachable only through
//! [`Secret::expose`], which makes every use easy to audit. Text mpcert does not write itself —
//! a client's log, a line it wrote instead of a response — passes through [`Secret::scrub`]
//! before it is shown anywhere.

use std::fmt;

/// A secret string.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of this secret, and the credentials after every `Bearer `,
    /// replaced by a placeholder.
    pub fn scrub(&self, text: &str) -> String {
        let text = if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, REDACTED)
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(BEARER) {
            let (before, after) = rest.split_at(at + BEARER.len());
            out.push_str(before);
            let credentials = after
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
                .unwrap_or(after.len());
            if credentials > 0 {
                out.push_str(REDACTED);
            }
            rest = &after[credentials..];
        }
        out.push_str(rest);
        out
    }
}

/// What a secret is shown as.
const REDACTED: &str = "<redacted>";

/// The scheme word that precedes an access token.
const BEARER: &str = "Bearer ";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "<redacted> <redacted>");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn scrubs_its_value_and_bearer_tokens_from_text() {
        let secret = Secret::new("hunter2");
        assert_eq!(
            secret.scrub("secret=hunter2, auth: Bearer eyJ.x-y \"Bearer abc\" Bearer  end"),
            "secret=<redacted>, auth: Bearer <redacted> \"Bearer <redacted>\" Bearer  end"
        );
        assert_eq!(Secret::new("").scrub("plain"), "plain");
    }
}
