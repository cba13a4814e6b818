//! The names of the PoS v10 request headers (domain reference §2.2), lowercased as HTTP/2 and
//! the recorder write them. The service checks them, the reference client sends them and the
//! judge reads them from recorded exchanges; this is the one place that spells them.

/// `X-MobilePay-Client-System-Version`: the version being certified, on every PoS call.
pub const CLIENT_SYSTEM_VERSION: &str = "x-mobilepay-client-system-version";
/// `X-MobilePay-Merchant-VAT-Number`: the merchant acted for, unless the token claims one.
pub const MERCHANT_VAT: &str = "x-mobilepay-merchant-vat-number";
/// `X-MobilePay-Client-System-Name`: the legacy client name header, optional.
pub const CLIENT_SYSTEM_NAME: &str = "x-mobilepay-client-system-name";
/// `X-MobilePay-Idempotency-Key`: on the creating calls.
pub const IDEMPOTENCY_KEY: &str = "x-mobilepay-idempotency-key";
/// `x-ibm-client-id`: the integrator's gateway application id, on every call.
pub const IBM_CLIENT_ID: &str = "x-ibm-client-id";
