//! What a run selected, as the certification website's scope step records it: for each category
//! with a selected case, how many of the cases its profile judges were selected. A category
//! selected only in part (`--case`) cannot be certified, and a run with such a category is a
//! *partial run*. The driver records the selection in the run report and the service in the
//! certificate, both through [`Selection::of`].

use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::catalogue::model::Profile;

/// How much of one category a run selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectedCategory {
    /// Category id.
    pub id: String,
    /// How many of its cases were selected.
    pub selected: usize,
    /// How many cases it has in the run's profile.
    pub cases: usize,
}

impl SelectedCategory {
    /// Whether every case of the category in the run's profile was selected.
    pub fn is_full(&self) -> bool {
        self.selected == self.cases
    }
}

/// What a run selected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// Whether some category was selected only in part; it is not certified.
    pub partial_run: bool,
    /// The categories with at least one selected case, in catalogue order.
    pub categories: Vec<SelectedCategory>,
}

impl Selection {
    /// The selection of the cases `selected` (full ids, `category/case`) from `catalogue` in
    /// `profile`.
    pub fn of(catalogue: &Catalogue, profile: Profile, selected: &[String]) -> Self {
        let categories: Vec<SelectedCategory> = (catalogue.categories.iter())
            .map(|category| {
                let judged = || category.cases.iter().filter(|c| c.case.in_profile(profile));
                let id = &category.header.id;
                SelectedCategory {
                    id: id.clone(),
                    selected: judged()
                        .filter(|c| selected.contains(&format!("{id}/{}", c.case.id)))
                        .count(),
                    cases: judged().count(),
                }
            })
            .filter(|category| category.selected > 0)
            .collect();
        Selection {
            partial_run: categories.iter().any(|c| !c.is_full()),
            categories,
        }
    }

    /// How much of category `id` was selected, if any of it.
    pub fn category(&self, id: &str) -> Option<&SelectedCategory> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The categories selected only in part.
    pub fn partial(&self) -> impl Iterator<Item = &SelectedCategory> {
        self.categories.iter().filter(|c| !c.is_full())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::plan::Plan;

    fn catalogue() -> Catalogue {
        crate::catalogue::builtin::load().unwrap_or_else(|e| panic!("built-in catalogue: {e}"))
    }

    /// The full ids of the cases a run of `categories` selects, as the driver's plan does.
    fn ids(catalogue: &Catalogue, categories: &[&str], profile: Profile) -> Vec<String> {
        let categories: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
        let plan =
            Plan::select(catalogue, &categories, &[], profile).unwrap_or_else(|e| panic!("{e}"));
        (plan.selected_cases(catalogue))
            .map(|(category, case)| format!("{}/{}", category.header.id, case.case.id))
            .filter(|id| categories.iter().any(|c| id.starts_with(&format!("{c}/"))))
            .collect()
    }

    fn counts(selection: &Selection) -> Vec<(&str, usize, usize)> {
        (selection.categories.iter())
            .map(|c| (c.id.as_str(), c.selected, c.cases))
            .collect()
    }

    #[test]
    fn whole_categories_are_a_full_selection() {
        let catalogue = catalogue();
        let profile = Profile::Mobilepay;
        let selected = ids(&catalogue, &["onboarding", "refunds"], profile);
        let selection = Selection::of(&catalogue, profile, &selected);
        let onboarding = ids(&catalogue, &["onboarding"], profile).len();
        let refunds = ids(&catalogue, &["refunds"], profile).len();
        assert_eq!(
            counts(&selection),
            vec![
                ("onboarding", onboarding, onboarding),
                ("refunds", refunds, refunds)
            ]
        );
        assert!(!selection.partial_run);
        assert_eq!(selection.partial().count(), 0);
    }

    #[test]
    fn part_of_a_category_makes_a_partial_run() {
        let catalogue = catalogue();
        let profile = Profile::Mobilepay;
        let mut selected = ids(&catalogue, &["onboarding"], profile);
        selected.push("refunds/refund-complete".into());
        let selection = Selection::of(&catalogue, profile, &selected);
        assert!(selection.partial_run);
        let partial: Vec<&str> = selection.partial().map(|c| c.id.as_str()).collect();
        assert_eq!(partial, vec!["refunds"]);
        let refunds = ids(&catalogue, &["refunds"], profile).len();
        assert!(refunds > 1, "refunds has more than one case");
        assert_eq!(
            selection.category("refunds").map(|c| (c.selected, c.cases)),
            Some((1, refunds))
        );
        assert_eq!(selection.category("payments"), None);
    }

    #[test]
    fn only_the_cases_of_the_profile_count() {
        let catalogue = catalogue();
        let selected = ids(&catalogue, &["onboarding", "payments"], Profile::Mobilepay);
        let mobilepay = Selection::of(&catalogue, Profile::Mobilepay, &selected);
        assert!(!mobilepay.partial_run, "{mobilepay:?}");
        let strict = Selection::of(&catalogue, Profile::Strict, &selected);
        assert!(
            strict.partial_run,
            "the strict payments cases were not selected"
        );
    }
}
