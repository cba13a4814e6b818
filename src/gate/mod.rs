//! `mpcert gate`: may this version of the client ship? It may when the ledger (see
//! [`crate::ledger`]) holds a certificate of its Major.Minor that meets the gate's
//! requirements: every required category (the mandatory one implied), and as asked the strict
//! profile, real time, a production client id. Certificates earned by the reference client never
//! count, nor, unless allowed, those earned with a custom catalogue. The version comes from
//! `--version` or a project manifest ([`manifest`]).

mod command;
pub mod decide;
pub mod manifest;
pub mod version;

pub use command::{GateOutcome, gate};
