//! Integration tests: one binary whose modules each prove one capability end to end, every test
//! owning its world (its own embedded service on 127.0.0.1:0, its own temporary directory).

mod cancellation;
mod case_table;
mod catalogue_errors;
mod certified_like;
mod ci_examples;
mod cli;
mod client_flags;
mod driver_protocol;
mod error_codes;
mod exec_client;
mod gate;
mod http_client;
mod hygiene;
mod judge;
mod ledger;
mod merchants;
mod mutation_matrix;
mod openapi;
mod operations;
mod pos_client;
mod pos_http;
mod prepared;
mod python_client;
mod refunds;
mod remote;
mod rule_table;
mod runs;
mod session_api;
mod shim;
mod signing;
mod stores;
mod support;
mod time_rules;
mod walkthrough;
