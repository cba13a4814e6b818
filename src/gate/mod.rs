//! `mpcert gate`: may this version of the client ship? It may when the ledger holds a
//! certificate of its Major.Minor that meets the gate's requirements.

pub mod manifest;
pub mod version;
