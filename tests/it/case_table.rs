//! `cases/README.md` carries the table of every built-in case that `mpcert list --format
//! markdown` generates, so the documentation cannot drift from the catalogue.

use crate::support::{assert_generated_section, mpcert};

#[test]
fn the_readme_case_table_is_the_generated_one() {
    let output = mpcert(&["list", "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("| `payments` | 5 | `payments/payment-capture-retry` |"),
        "{table}"
    );
    assert_generated_section(
        "cases/README.md",
        ("<!-- cases:begin -->", "<!-- cases:end -->"),
        &table,
        "cargo test --locked --test it case_table",
    );
}
