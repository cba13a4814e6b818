//! Process exit codes, the one place they are defined. `main` maps every outcome through here.

/// Every selected case passed.
pub const PASSED: u8 = 0;
/// At least one case failed: the client broke a rule or missed an expectation.
pub const FAILED: u8 = 1;
/// Usage error or invalid catalogue; nothing was run.
pub const USAGE: u8 = 2;
/// No trustworthy verdict: target unreachable, authentication refused, client adapter broken.
pub const INFRASTRUCTURE: u8 = 3;
/// The release gate refused the version.
pub const GATE_REFUSED: u8 = 4;
