//! Reports: the [`model::RunReport`] every renderer reads, what a run selected
//! ([`selection::Selection`]), and the renderers themselves (JSON, JUnit XML, console summary). Renderers are pure and return bytes or text; writing files is
//! the caller's job (atomically, see [`crate::output`]).

pub mod certificate;
pub mod console;
pub mod json;
pub mod junit;
pub mod model;
pub mod selection;

pub use certificate::{
    AdapterInfo, AdapterKind, CatalogueProvenance, Certificate, CertifiedCategory,
    REFERENCE_CLIENT_NAME,
};
pub use model::{
    CaseReport, CategoryReport, Finding, RunMeta, RunReport, StepOutcome, StepReport, Truncation,
    Verdict,
};
pub use selection::{SelectedCategory, Selection};

use crate::exit;

impl RunReport {
    /// The exit code this report deserves: 3 if any case has no trustworthy verdict, else 1 if
    /// any failed, else 0.
    pub fn exit_code(&self) -> u8 {
        let verdicts = || {
            self.categories
                .iter()
                .flat_map(|c| &c.cases)
                .map(|c| &c.verdict)
        };
        if verdicts().any(|v| matches!(v, Verdict::Error { .. })) {
            exit::INFRASTRUCTURE
        } else if verdicts().any(|v| matches!(v, Verdict::Failed { .. })) {
            exit::FAILED
        } else {
            exit::PASSED
        }
    }
}
