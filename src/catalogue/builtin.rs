//! The built-in catalogue: the files of `cases/` compiled into the binary, so that mpcert runs
//! the certification without a catalogue directory. Adding a category means adding its file to
//! `cases/` and one line to [`FILES`].

use super::{Catalogue, CatalogueError, load};

/// The built-in catalogue files as (display name, text), one line per file of `cases/`.
pub const FILES: &[(&str, &str)] = &[
    (
        "cases/onboarding.yaml",
        include_str!("../../cases/onboarding.yaml"),
    ),
    (
        "cases/payments.yaml",
        include_str!("../../cases/payments.yaml"),
    ),
    (
        "cases/payments-with-restrictions.yaml",
        include_str!("../../cases/payments-with-restrictions.yaml"),
    ),
    (
        "cases/prepared-payments.yaml",
        include_str!("../../cases/prepared-payments.yaml"),
    ),
    (
        "cases/prepared-payments-with-restrictions.yaml",
        include_str!("../../cases/prepared-payments-with-restrictions.yaml"),
    ),
    (
        "cases/refunds.yaml",
        include_str!("../../cases/refunds.yaml"),
    ),
];

/// Loads and validates the built-in catalogue.
pub fn load() -> Result<Catalogue, CatalogueError> {
    let files: Vec<(String, String)> = FILES
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect();
    load::load_files(&files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads_without_problems() {
        let catalogue = match load() {
            Ok(catalogue) => catalogue,
            Err(error) => panic!("{error}"),
        };
        let ids: Vec<&str> = catalogue
            .categories
            .iter()
            .map(|c| c.header.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "onboarding",
                "payments",
                "payments-with-restrictions",
                "prepared-payments",
                "prepared-payments-with-restrictions",
                "refunds"
            ],
            "the six sections in the certification website's order"
        );
        let onboarding = &catalogue.categories[0];
        assert!(onboarding.header.mandatory);
        assert_eq!(onboarding.file, "cases/onboarding.yaml");
        let first = &onboarding.cases[0];
        assert_eq!(first.case.id, "onboard-pos");
        assert_eq!(first.location.file, "cases/onboarding.yaml");
        assert_eq!(
            first.location.column, 5,
            "the `id` key of the first list item"
        );
        assert_eq!(catalogue.digest.len(), 64);
    }
}
