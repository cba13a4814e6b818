//! The PoS API v10 domain shared by every part of mpcert: the certification constants and inferred
//! defaults, the endpoints and how a request path maps to one, payment and refund states, error codes and
//! bodies, field validation, and the request/response bodies of the official OpenAPI document.
//! The embedded service, the reference client and the judge all speak through these types, so a
//! fact about the API lives in exactly one place. `transitions` holds the payment state machines
//! and `usersim` the sandbox's user simulation with its test users.

pub mod constants;
pub mod dto;
pub mod endpoint;
pub mod error;
pub mod headers;
pub mod query;
pub mod refund_state;
pub mod state;
pub mod transitions;
pub mod usersim;
pub mod validate;

pub use endpoint::Endpoint;
pub use error::{ApiError, ErrorCode};
pub use refund_state::RefundStatus;
pub use state::PaymentStatus;
