//! mpcert runs the MobilePay PoS API v10 self-certification headlessly, for CI.
//!
//! ```text
//! cases/*.yaml ──load+validate──▶ Catalogue ──select──▶ Plan ──▶ Driver
//!   Driver: per case, arm it on the certification service, then ask the client under test
//!           to perform each step
//!   Client under test (reference adapter) ──PoS v10 HTTP──▶ certification service
//!   Certification service (embedded on 127.0.0.1:0, or `mpcert serve`) records every exchange
//!   and runs the judge (pure): conduct rules + step expectations ──▶ verdicts, certificate
//!   Driver ──▶ RunReport
//!   RunReport ──▶ JSON · JUnit · console ──▶ exit code
//! ```
//!
//! The binary is a thin shell over [`app`]: everything it does is callable from tests.
#![warn(missing_docs)]

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod client;
pub mod config;
pub mod driver;
pub mod exchange;
pub mod exit;
pub mod gate;
pub mod judge;
pub mod keys;
pub mod ledger;
pub mod list;
pub mod output;
pub mod pos;
pub mod report;
pub mod secret;
pub mod service;

pub use app::run;
