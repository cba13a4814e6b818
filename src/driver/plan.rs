//! Selection: which cases of the catalogue run. Mandatory categories always run in full (they
//! create the PoS the others use); `--category` adds whole categories and `--case` single
//! cases; with neither, everything runs. Unknown ids are usage errors that list what exists.

use crate::catalogue::Catalogue;

/// A selection names a category or case the catalogue does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// `--category` names an unknown category.
    #[error("--category: unknown category `{given}`; the catalogue has: {known}")]
    UnknownCategory {
        /// What was given.
        given: String,
        /// The ids that exist.
        known: String,
    },
    /// `--case` names an unknown case or is not `category/case`.
    #[error("--case: unknown case `{given}`; give it as category/case, e.g. {example}")]
    UnknownCase {
        /// What was given.
        given: String,
        /// An id that exists.
        example: String,
    },
}

/// For every category in catalogue order, for every case, whether it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `selected[c][k]`: case `k` of category `c` runs.
    pub selected: Vec<Vec<bool>>,
}

impl Plan {
    /// Selects from the catalogue.
    pub fn select(
        catalogue: &Catalogue,
        categories: &[String],
        cases: &[String],
    ) -> Result<Plan, SelectionError> {
        for given in categories {
            if catalogue.category(given).is_none() {
                let known = catalogue
                    .categories
                    .iter()
                    .map(|c| c.header.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(SelectionError::UnknownCategory {
                    given: given.clone(),
                    known,
                });
            }
        }
        for given in cases {
            let found = given
                .split_once('/')
                .and_then(|(cat, case)| catalogue.category(cat).and_then(|c| c.case(case)));
            if found.is_none() {
                let example = catalogue
                    .categories
                    .first()
                    .and_then(|c| {
                        c.cases
                            .first()
                            .map(|k| format!("{}/{}", c.header.id, k.case.id))
                    })
                    .unwrap_or_default();
                return Err(SelectionError::UnknownCase {
                    given: given.clone(),
                    example,
                });
            }
        }
        let everything = categories.is_empty() && cases.is_empty();
        let selected = catalogue
            .categories
            .iter()
            .map(|category| {
                let whole = everything
                    || category.header.mandatory
                    || categories.contains(&category.header.id);
                category
                    .cases
                    .iter()
                    .map(|c| {
                        whole || cases.contains(&format!("{}/{}", category.header.id, c.case.id))
                    })
                    .collect()
            })
            .collect();
        Ok(Plan { selected })
    }
}
