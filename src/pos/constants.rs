//! Certification constants documented by MobilePay and every inferred default (marked "inferred") the
//! embedded service and the judge rely on. Each inferred fact is a named constant here so it is
//! easy to find and change; nothing else in the code base hard-codes one of these values.

use super::ErrorCode;
use super::dto::CurrencyCode;

/// The merchant brand id of the self-certification merchant (documented).
pub const CERT_MERCHANT_BRAND_ID: &str = "MPPOSCERT1";
/// The merchant location id of the self-certification store (documented).
pub const CERT_MERCHANT_LOCATION_ID: &str = "00001";
/// The Danish VAT number of the self-certification merchant, as sent in headers (documented).
pub const CERT_MERCHANT_VAT_DK: &str = "DK90000028";
/// The Finnish VAT number of the self-certification merchant, as sent in headers (documented).
pub const CERT_MERCHANT_VAT_FI: &str = "FI90000040";
/// The PoS v10 base URL of MobilePay's self-certification API in the sandbox (documented): the
/// v10 resource paths under their own prefix, used with the sandbox credentials.
pub const SANDBOX_API_BASE: &str =
    "https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10";
/// The sandbox's integrator-authentication token endpoint (documented).
pub const SANDBOX_TOKEN_URL: &str =
    "https://api.sandbox.mobilepay.dk/integrator-authentication/connect/token";
/// The store id of the Danish merchant's self-certification store (documented 2020–2021; clients
/// should still look it up).
pub const CERT_STORE_ID: &str = "9d0a9c45-1793-4e82-9410-b0ee6779ab60";
/// The store id of the Finnish merchant's self-certification store (inferred): MobilePay never
/// published one, so the Finnish merchant gets a store of its own with the same brand and
/// location ids (`MPPOSCERT1`/`00001`) but a distinct id.
pub const CERT_STORE_ID_FI: &str = "5f3b8e21-6c0d-4a7e-9b14-90000040f100";
/// The only currency the Danish certification store accepts (inferred): its country's.
pub const CERT_CURRENCY_DK: CurrencyCode = CurrencyCode::Dkk;
/// The only currency the Finnish certification store accepts (inferred): its country's.
pub const CERT_CURRENCY_FI: CurrencyCode = CurrencyCode::Eur;
/// The answer to a payment in a currency its store does not accept (inferred): no code is
/// documented for it, so it is the generic 400 `1099`, with a message saying why.
pub const CURRENCY_MISMATCH: ErrorCode = ErrorCode::CurrencyNotAccepted;
/// The answer to a payment on another merchant's point of sale (inferred): `POST /payments`
/// documents no "other merchant" code, so its one documented 403, `1400`, answers it.
pub const PAYMENT_ON_OTHER_MERCHANTS_POS: ErrorCode = ErrorCode::PosOfOtherIntegrator;
/// The certification store's name and address (inferred): MobilePay never published them.
pub const CERT_STORE_NAME: &str = "Cert Store";
/// Street of the certification store (inferred).
pub const CERT_STORE_STREET: &str = "Testvej 1";
/// Zip code of the certification store (inferred).
pub const CERT_STORE_ZIP: &str = "2100";
/// City of the certification store (inferred).
pub const CERT_STORE_CITY: &str = "København Ø";
/// Brand name of the certification stores (inferred).
pub const CERT_BRAND_NAME: &str = "PoS Certification";
/// Name of the Finnish certification store (inferred).
pub const CERT_STORE_NAME_FI: &str = "Cert Store FI";
/// Street of the Finnish certification store (inferred).
pub const CERT_STORE_STREET_FI: &str = "Testikatu 1";
/// Zip code of the Finnish certification store (inferred).
pub const CERT_STORE_ZIP_FI: &str = "00100";
/// City of the Finnish certification store (inferred).
pub const CERT_STORE_CITY_FI: &str = "Helsinki";

/// Lifetime of an access token in seconds (documented).
pub const TOKEN_LIFETIME_SECS: u64 = 3700;
/// How long a reservation lives before MobilePay ends it as `ExpiredAndCancelled`, in seconds
/// (documented: 7 days).
pub const RESERVATION_LIFETIME_SECS: u64 = 7 * 24 * 3600;
/// The largest request body the PoS API accepts, in bytes (inferred): MobilePay documents no
/// limit; the largest valid PoS v10 body is well under 1 KiB, so 64 KiB refuses only abuse.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The shortest `pollDelayInMs` the certification service announces, before time scaling
/// (inferred): 1 s, as in the documented examples.
pub const POLL_DELAY_MIN_MS: u64 = 1000;
/// The longest `pollDelayInMs` the certification service announces, before time scaling
/// (inferred). The service varies the delay between [`POLL_DELAY_MIN_MS`] and this, so a client
/// that never reads it is caught.
pub const POLL_DELAY_MAX_MS: u64 = 3000;
/// How long a `hold200` fault holds its answer, before time scaling (inferred); longer than any
/// documented client timeout.
pub const HOLD_MS: u64 = 10_000;
/// How long an `err500` fault waits before answering 500, before time scaling (inferred); shorter than
/// any documented client timeout.
pub const ERR500_DELAY_MS: u64 = 300;

/// The loyalty id of the one sandbox test user enrolled in loyalty, test user 04 (inferred):
/// MobilePay's sandbox had static loyalty data but never published it, so it is the documented
/// examples' `123456`.
pub const TEST_USER_LOYALTY_ID: &str = "123456";
/// The receipt token of every test user's check-in (inferred): empty, "this user has none", since
/// test user 03 lost its digital receipts in mid-2023.
pub const TEST_USER_RECEIPT_TOKEN: &str = "";
/// The test user the scripted customer of an armed case plays (inferred): 04, whose credit card
/// and loyalty id let every scripted flow, the prepared one's loyalty lookup included, happen.
pub const SCRIPTED_CUSTOMER_PHONE: &str = "+4520031804";
/// How long a check-in waits at a PoS for a payment, in virtual milliseconds (inferred):
/// undocumented; five minutes, the domain reference's default for the undocumented timeouts.
pub const CHECK_IN_LIFETIME_MS: f64 = 5.0 * 60.0 * 1000.0;

/// The documented client timeout for POST, PUT and DELETE calls, in milliseconds.
pub const WRITE_TIMEOUT_MS: u64 = 2000;
/// The documented client timeout for GET calls (polling included), in milliseconds.
pub const READ_TIMEOUT_MS: u64 = 500;
/// How much later than its timeout a client may drop a held call before the judge objects (inferred).
pub const TIMEOUT_TOLERANCE_MS: u64 = 500;
/// How much earlier than `pollDelayInMs` a poll may arrive before the judge objects (inferred).
pub const POLL_DELAY_TOLERANCE_MS: u64 = 50;
/// The documented maximum number of retries of one logical request (so at most six calls).
pub const MAX_RETRIES: u32 = 5;
/// The documented suggested number of retries, which the reference client uses.
pub const SUGGESTED_RETRIES: u32 = 2;

/// The smallest timing tolerance the judge applies, in real milliseconds (inferred): compressing time
/// cannot compress the operating system's scheduler, so at small time scales the scaled
/// tolerance is raised to this floor.
pub const MIN_TIMING_TOLERANCE_REAL_MS: f64 = 250.0;
/// The shortest timeout a client is expected to use, in real milliseconds (inferred): at small time
/// scales a scaled timeout would shrink below what a busy machine's scheduler can honour, so
/// clients floor theirs here (the reference client does). An answer the service took longer than
/// this to send may have reached a correct client after it gave up, so the judge does not hold
/// what follows it (a quick retry of that poll, say) against the client.
pub const MIN_CLIENT_TIMEOUT_REAL_MS: f64 = 100.0;
/// The shortest hold of a `hold200` fault, in real milliseconds (inferred), so a held answer always
/// outlasts a client's (floored) timeout plus the judge's tolerance.
pub const MIN_HOLD_REAL_MS: f64 = 400.0;

/// How many polls of a new refund answer `Initiated` before MobilePay has reserved it (inferred):
/// the refund-complete case's polls show `[Initiated, Initiated, Reserved…]`.
pub const REFUND_POLLS_WHILE_INITIATED: usize = 2;
/// What a store's balance can pay out in refunds, in the payment's currency (inferred): MobilePay
/// never published the certification store's balance, so it covers any realistic certification
/// run while a refund above it still meets 409 `1368`.
pub const STORE_REFUND_BALANCE: f64 = 1_000_000.0;
