//! Selection: which cases of the catalogue run. Only the cases of the run's profile can run;
//! of those, mandatory categories always run in full (they create the PoS the others use);
//! `--category` adds whole categories and `--case` single cases; with neither, everything runs.
//! Unknown ids, and a `--case` outside the profile, are usage errors that say what to do.

use crate::catalogue::model::Profile;
use crate::catalogue::{Catalogue, Category, LocatedCase};

/// The skip reason of a case outside the run's profile (it reads as "not selected" to readers).
pub const OUTSIDE_PROFILE: &str = "not selected: not in this profile";

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
    /// `--case` names a case the run's profile does not judge.
    #[error("--case: `{given}` is not judged in the {profile} profile; add --profile strict")]
    OutsideProfile {
        /// What was given.
        given: String,
        /// The run's profile.
        profile: &'static str,
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
        profile: Profile,
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
            if found.is_some_and(|c| !c.case.in_profile(profile)) {
                return Err(SelectionError::OutsideProfile {
                    given: given.clone(),
                    profile: profile.as_str(),
                });
            }
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
                        let named =
                            cases.contains(&format!("{}/{}", category.header.id, c.case.id));
                        c.case.in_profile(profile) && (whole || named)
                    })
                    .collect()
            })
            .collect();
        Ok(Plan { selected })
    }

    /// The selected cases with their categories, in catalogue order.
    pub fn selected_cases<'a>(
        &'a self,
        catalogue: &'a Catalogue,
    ) -> impl Iterator<Item = (&'a Category, &'a LocatedCase)> {
        catalogue
            .categories
            .iter()
            .zip(&self.selected)
            .flat_map(|(category, selected)| {
                category
                    .cases
                    .iter()
                    .zip(selected)
                    .filter(|(_, s)| **s)
                    .map(move |(case, _)| (category, case))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        match crate::catalogue::builtin::load() {
            Ok(catalogue) => catalogue,
            Err(e) => panic!("built-in catalogue: {e}"),
        }
    }

    fn selected_ids(catalogue: &Catalogue, plan: &Plan) -> Vec<String> {
        plan.selected_cases(catalogue)
            .map(|(category, case)| format!("{}/{}", category.header.id, case.case.id))
            .collect()
    }

    #[test]
    fn no_filter_selects_everything() -> Result<(), SelectionError> {
        let catalogue = catalogue();
        let plan = Plan::select(&catalogue, &[], &[], Profile::Strict)?;
        assert!(plan.selected.iter().flatten().all(|s| *s));
        Ok(())
    }

    #[test]
    fn a_single_case_brings_the_mandatory_category_along() -> Result<(), SelectionError> {
        let catalogue = catalogue();
        let plan = Plan::select(
            &catalogue,
            &[],
            &["payments/payment-complete".into()],
            Profile::Mobilepay,
        )?;
        let ids = selected_ids(&catalogue, &plan);
        assert!(ids.contains(&"onboarding/onboard-pos".to_string()));
        assert!(ids.contains(&"payments/payment-complete".to_string()));
        assert!(!ids.contains(&"payments/payment-user-cancelled".to_string()));
        Ok(())
    }

    #[test]
    fn a_category_selects_all_its_cases() -> Result<(), SelectionError> {
        let catalogue = catalogue();
        let plan = Plan::select(&catalogue, &["payments".into()], &[], Profile::Strict)?;
        let ids = selected_ids(&catalogue, &plan);
        let payments = catalogue.category("payments").map_or(0, |c| c.cases.len());
        let onboarding = catalogue
            .category("onboarding")
            .map_or(0, |c| c.cases.len());
        assert_eq!(ids.len(), onboarding + payments);
        assert!(ids.iter().all(|id| !id.starts_with("refunds/")), "{ids:?}");
        Ok(())
    }

    #[test]
    fn the_default_profile_leaves_out_the_strict_cases() -> Result<(), SelectionError> {
        let catalogue = catalogue();
        let plan = Plan::select(&catalogue, &[], &[], Profile::Mobilepay)?;
        let ids = selected_ids(&catalogue, &plan);
        assert!(ids.contains(&"payments/payment-complete".to_string()));
        assert!(!ids.contains(&"payments/payment-capture-retry".to_string()));
        let strict = Plan::select(
            &catalogue,
            &[],
            &["payments/payment-capture-retry".into()],
            Profile::Mobilepay,
        );
        let message = strict.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.ends_with("add --profile strict"), "{message}");
        Ok(())
    }

    #[test]
    fn unknown_ids_name_the_flag_and_what_exists() {
        let catalogue = catalogue();
        let category = Plan::select(&catalogue, &["refundz".into()], &[], Profile::Mobilepay);
        let message = category.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("--category: unknown category `refundz`"),
            "{message}"
        );
        assert!(message.contains("onboarding, payments"), "{message}");
        let case = Plan::select(
            &catalogue,
            &[],
            &["payment-complete".into()],
            Profile::Mobilepay,
        );
        let message = case.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("--case: unknown case `payment-complete`"),
            "{message}"
        );
        assert!(message.contains("onboarding/onboard-pos"), "{message}");
    }
}
