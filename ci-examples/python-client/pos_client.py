"""An example MobilePay PoS API v10 client, standard library only.

It is written to the client conduct rules of the PoS v10 documentation:

* an OAuth2 client-credentials token from ``{auth_url}/connect/token`` that names the merchant
  in its ``merchant_vat`` claim, cached and replaced shortly before it expires or after a 401;
* ``Authorization``, ``X-MobilePay-Client-System-Version``, ``X-MobilePay-Merchant-VAT-Number``
  and ``x-ibm-client-id`` on every PoS call;
* timeouts of 2 s for writes and 0.5 s for reads, multiplied by the time scale of the
  certification service (never below 100 ms of real time);
* network errors, timeouts and 5xx answers retried twice, with the same idempotency key and the
  very same body bytes; a new GUID key for every new logical request; 4xx never retried blindly;
* ``pollDelayInMs`` honoured between polls of a payment or refund, also across operations, and
  no poll, capture, cancel or ready of a payment once it was seen in a terminal state;
* a payment left active on the PoS (409 ``1301``) cleaned up: list the PoS's payments, cancel the
  active ones (never a Reserved one), initiate again;
* ids of creates that went unanswered recovered with the documented lookups;
* capture only of Reserved payments, and a cancel instead of a partial capture that the payment
  does not allow; refunds followed up.

:class:`PosClient` performs the ten operations of mpcert's driver protocol; ``shim.py`` speaks the
protocol on stdin/stdout. Deliberate misbehaviours (see ``MISBEHAVIOURS``) can be switched on with
the ``POS_EXAMPLE_MISBEHAVE`` environment variable to see the certification catch them.
"""

import base64
import http.client
import json
import logging
import os
import socket
import ssl
import time
import urllib.parse
import uuid

LOG = logging.getLogger("pos_client")

#: The version this example declares when the environment does not name one.
EXAMPLE_VERSION = "1.0.0"

# The documented timings, in milliseconds of real time at time scale 1.
READ_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 2000
#: No timeout is ever shorter than this, in real milliseconds: at a small time scale a scaled
#: timeout would drop below what a busy machine can honour.
MIN_TIMEOUT_MS = 100
#: Retries of one logical request after a network error, a timeout or a 5xx (3 attempts in all).
RETRIES = 2
RETRY_DELAY_MS = 200
#: The poll delay used before the service has named one.
DEFAULT_POLL_DELAY_MS = 1000
#: How long before its announced expiry a token is replaced.
TOKEN_REFRESH_MARGIN_MS = 60_000
#: The token lifetime assumed when an answer does not state ``expires_in`` (seconds).
TOKEN_LIFETIME_S = 3700
#: The most polls one operation makes before it gives up.
MAX_POLLS_PER_OPERATION = 2000
#: How long a write may take when the client deliberately waits out held answers (seconds).
HELD_ANSWER_PATIENCE_S = 60.0
#: Amounts have two decimals; a capture this much below the reserved amount is partial.
PARTIAL_EPSILON = 0.005

ACTIVE_PAYMENT = {"Prepared", "Initiated", "Paired", "IssuedToUser"}
TERMINAL_PAYMENT = {
    "CancelledByUser",
    "CancelledByClient",
    "CancelledByMobilePay",
    "ExpiredAndCancelled",
    "Captured",
}
TERMINAL_REFUND = {"Captured", "CancelledByClient", "CancelledByMobilePay", "ExpiredAndCaptured"}

#: Deliberate misbehaviours, named as in mpcert's mutation matrix, each breaking one rule.
MISBEHAVIOURS = {
    "fresh-key-on-retry": "a retry gets a new idempotency key",
    "changed-body-on-retry": "a retry of a create carries a different order reference",
    "too-many-retries": "retries a 5xx or timeout more than five times",
    "wait-out-held-requests": "no timeout on writes: waits for a held answer",
    "ignore-poll-delay": "polls again at once, ignoring pollDelayInMs",
    "fixed-poll-interval": "polls every (scaled) second, never reading pollDelayInMs",
    "omit-version-header": "never sends X-MobilePay-Client-System-Version",
    "omit-merchant-vat": "sends the merchant VAT neither as a header nor as a token claim",
    "omit-client-id": "never sends x-ibm-client-id",
    "skip-conflict-cleanup": "gives up on 409 1301 instead of cleaning up the PoS",
    "retry-refused-request": "repeats an initiate answered 409 1301 as it was, without cleaning up",
    "lost-id-not-looked-up": "gives up on an unanswered create instead of looking the id up",
    "act-after-terminal": "polls a payment once more after it was seen terminal",
    "capture-before-reserved": "captures as soon as the payment is created, before it is Reserved",
    "capture-wrong-amount": "captures the whole reserved amount instead of the amount asked",
    "partial-capture-when-not-possible": "captures less than reserved although partial capture is not possible",
    "refund-never-captured": "never captures a refund, leaving it Reserved",
    "stop-on-unexpected-status": "stops polling a payment at an unexpected active status such as Paired",
    "drop-restrictions": "leaves restrictions off initiate and ready",
    "restrictions-on-prepare": "sends its configured restrictions with prepare and none with ready",
    "ready-before-paired": "readies a prepared payment without waiting for the customer to pair",
}

#: The body fields a client that changes retried bodies stamps the attempt number into.
ORDER_REFERENCES = ("orderId", "refundOrderId", "merchantPosId")


class OperationFailed(Exception):
    """The operation could not be completed; the message says why, in one line."""


def parse_misbehaviours(text):
    """The set of switch names in a comma- or space-separated list; unknown names are refused."""
    names = {part.strip() for part in (text or "").replace(",", " ").split() if part.strip()}
    unknown = sorted(names - set(MISBEHAVIOURS))
    if unknown:
        raise ValueError(
            "unknown misbehaviour(s) %s; known: %s" % (", ".join(unknown), ", ".join(MISBEHAVIOURS))
        )
    return frozenset(names)


class Config:
    """Where and as whom the client connects, and how it behaves."""

    def __init__(self, api_base_url, auth_url, client_id, client_secret, merchant_vat,
                 time_scale=1.0, version=EXAMPLE_VERSION, misbehaviours=frozenset()):
        if not (time_scale > 0 and time_scale != float("inf")):
            raise ValueError("the time scale must be a positive number, got %r" % (time_scale,))
        self.api_base_url = api_base_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.merchant_vat = merchant_vat
        self.time_scale = float(time_scale)
        self.version = version
        self.misbehaviours = frozenset(misbehaviours)

    @classmethod
    def from_env(cls, environ=None):
        """The configuration mpcert's exec adapter hands over in the environment."""
        env = os.environ if environ is None else environ
        missing = [name for name in (
            "MPCERT_API_BASE_URL", "MPCERT_AUTH_URL", "MPCERT_CLIENT_ID", "MPCERT_CLIENT_SECRET",
        ) if not env.get(name)]
        if missing:
            raise ValueError("missing environment: %s" % ", ".join(missing))
        protocol = env.get("MPCERT_PROTOCOL", "1")
        if protocol != "1":
            raise ValueError("this client speaks driver protocol 1, not %r" % protocol)
        try:
            scale = float(env.get("MPCERT_TIME_SCALE") or "1")
        except ValueError:
            raise ValueError("MPCERT_TIME_SCALE is not a number: %r" % env.get("MPCERT_TIME_SCALE"))
        return cls(
            api_base_url=env["MPCERT_API_BASE_URL"],
            auth_url=env["MPCERT_AUTH_URL"],
            client_id=env["MPCERT_CLIENT_ID"],
            client_secret=env["MPCERT_CLIENT_SECRET"],
            merchant_vat=env.get("MPCERT_MERCHANT_VAT") or None,
            time_scale=scale,
            version=env.get("POS_EXAMPLE_VERSION") or EXAMPLE_VERSION,
            misbehaviours=parse_misbehaviours(env.get("POS_EXAMPLE_MISBEHAVE")),
        )

    def has(self, name):
        return name in self.misbehaviours

    def scaled(self, ms):
        """``ms`` of documented time as real seconds at this time scale (no floor)."""
        return max(0.0, ms * self.time_scale / 1000.0)

    def timeout(self, method):
        """The timeout of one attempt, in real seconds."""
        if method != "GET" and self.has("wait-out-held-requests"):
            return HELD_ANSWER_PATIENCE_S
        documented = READ_TIMEOUT_MS if method == "GET" else WRITE_TIMEOUT_MS
        return max(documented * self.time_scale, MIN_TIMEOUT_MS) / 1000.0

    def attempts(self):
        return 7 if self.has("too-many-retries") else 1 + RETRIES


class Attempt:
    """How one HTTP attempt ended: ``answered`` (status, body), ``timeout``, ``network`` (the
    connection broke mid-exchange) or ``connect`` (no connection; the request was never sent)."""

    def __init__(self, kind, status=None, body=b"", reason=""):
        self.kind = kind
        self.status = status
        self.body = body
        self.reason = reason

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    def describe(self):
        if self.kind == "answered":
            return describe_status(self.status, self.json())
        if self.kind == "timeout":
            return "timed out after %d ms" % round(self.reason * 1000)
        return "%s error: %s" % (self.kind, self.reason)


def error_code(body):
    """The ``code`` of an error body (a string on the wire; a number is tolerated)."""
    if isinstance(body, dict) and isinstance(body.get("code"), (str, int)):
        return str(body["code"])
    return None


def describe_status(status, body):
    code = error_code(body)
    return "HTTP %d code %s" % (status, code) if code else "HTTP %d" % status


class Answer:
    """A non-5xx answer to a logical request."""

    def __init__(self, label, status, body, uncertain_before, key):
        self.label = label
        self.status = status
        self.body = body
        #: An earlier attempt timed out or broke, so the request may have been processed.
        self.uncertain_before = uncertain_before
        self.key = key

    def is_conflict(self, code):
        return self.status == 409 and error_code(self.body) == code

    def success(self):
        if 200 <= self.status < 300:
            return self.body if self.body is not None else {}
        raise OperationFailed("%s answered %s" % (self.label, describe_status(self.status, self.body)))


class Lost:
    """Every attempt of a logical request went without a usable answer (timeouts, 5xx, broken
    connections): it may or may not have been processed."""

    def __init__(self, message):
        self.message = message


class Transport:
    """The HTTP side: token, headers, timeouts, retries."""

    def __init__(self, config):
        self.config = config
        base = urllib.parse.urlsplit(config.api_base_url)
        if base.scheme not in ("http", "https") or not base.hostname:
            raise ValueError("not an http(s) URL: %r" % config.api_base_url)
        self._base = base
        self._token = None
        self._token_refresh_at = 0.0
        self._ssl = ssl.create_default_context()

    # -- one attempt -----------------------------------------------------------------------

    def _exchange(self, url, method, headers, body, timeout):
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                               context=self._ssl)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        deadline = time.monotonic() + timeout
        try:
            try:
                conn.connect()
            except socket.timeout:
                return Attempt("timeout", reason=timeout)
            except OSError as error:
                return Attempt("connect", reason=str(error) or type(error).__name__)
            conn.request(method, target, body=body, headers=headers)
            # The timeout bounds the whole exchange, not each read of the socket.
            conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
            response = conn.getresponse()
            data = response.read()
            return Attempt("answered", status=response.status, body=data)
        except socket.timeout:
            return Attempt("timeout", reason=timeout)
        except (OSError, http.client.HTTPException) as error:
            return Attempt("network", reason=str(error) or type(error).__name__)
        finally:
            # Closing the connection is how a client abandons an answer it no longer waits for.
            conn.close()

    # -- token -----------------------------------------------------------------------------

    def invalidate_token(self):
        self._token = None

    def bearer(self):
        if self._token and time.monotonic() < self._token_refresh_at:
            return self._token
        form = {"grant_type": "client_credentials"}
        if self.config.merchant_vat and not self.config.has("omit-merchant-vat"):
            form["merchant_vat"] = self.config.merchant_vat
        credentials = "%s:%s" % (self.config.client_id, self.config.client_secret)
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii"),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Connection": "close",
        }
        if not self.config.has("omit-client-id"):
            headers["x-ibm-client-id"] = self.config.client_id
        body = urllib.parse.urlencode(form).encode("ascii")
        url = self.config.auth_url + "/connect/token"
        last = None
        for attempt in range(1, 1 + RETRIES + 1):
            if attempt > 1:
                time.sleep(self.config.scaled(RETRY_DELAY_MS))
            last = self._exchange(url, "POST", headers, body, self.config.timeout("POST"))
            if last.kind == "answered" and last.status < 500:
                break
        if last.kind != "answered" or not 200 <= last.status < 300:
            # Never the secret or a token in a message.
            raise OperationFailed("the token endpoint answered %s" % last.describe())
        answer = last.json() or {}
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise OperationFailed("the token endpoint answered without an access_token")
        expires_in = answer.get("expires_in")
        if not isinstance(expires_in, (int, float)) or expires_in <= 0:
            expires_in = TOKEN_LIFETIME_S * self.config.time_scale
        # expires_in is stated in real seconds already: only the client's own margin is scaled.
        usable = max(0.0, expires_in - self.config.scaled(TOKEN_REFRESH_MARGIN_MS))
        self._token = token
        self._token_refresh_at = time.monotonic() + usable
        LOG.debug("new token, usable for %.1f s", usable)
        return token

    # -- PoS calls -------------------------------------------------------------------------

    def url(self, path, query=None):
        url = self.config.api_base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def _headers(self, has_body, key):
        headers = {
            "Authorization": "Bearer " + self.bearer(),
            "Accept": "application/json",
            "Connection": "close",
        }
        if not self.config.has("omit-version-header"):
            headers["X-MobilePay-Client-System-Version"] = self.config.version
        if self.config.merchant_vat and not self.config.has("omit-merchant-vat"):
            headers["X-MobilePay-Merchant-VAT-Number"] = self.config.merchant_vat
        if not self.config.has("omit-client-id"):
            headers["x-ibm-client-id"] = self.config.client_id
        if has_body:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["X-MobilePay-Idempotency-Key"] = key
        return headers

    def once(self, method, path, query=None, body=None, key=None):
        """One attempt; a 401 fetches a new token and repeats the attempt once."""
        url = self.url(path, query)
        timeout = self.config.timeout(method)
        attempt = self._exchange(url, method, self._headers(body is not None, key), body, timeout)
        if attempt.kind == "answered" and attempt.status == 401:
            LOG.info("%s %s answered 401: fetching a new token", method, path)
            self.invalidate_token()
            attempt = self._exchange(url, method, self._headers(body is not None, key), body, timeout)
        LOG.debug("%s %s -> %s", method, path, attempt.describe())
        return attempt

    def send(self, method, path, query=None, body=None, keyed=False, key=None):
        """One logical request: the first attempt and up to ``RETRIES`` retries of network
        errors, timeouts and 5xx answers, each with the same key and body bytes. Returns an
        :class:`Answer` (2xx–4xx) or :class:`Lost`."""
        label = "%s %s" % (method, path)
        raw = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        if keyed and key is None:
            key = new_key()
        attempts = self.config.attempts()
        uncertain = False
        connect_failures = 0
        last = None
        for number in range(1, attempts + 1):
            if number > 1:
                time.sleep(self.config.scaled(RETRY_DELAY_MS))
                if keyed and self.config.has("fresh-key-on-retry"):
                    key = new_key()
            sent = self._body_for(raw, body, number, keyed)
            last = self.once(method, path, query, sent, key if keyed else None)
            if last.kind == "answered" and last.status < 500:
                return Answer(label, last.status, last.json(), uncertain, key)
            if last.kind in ("timeout", "network"):
                uncertain = True
            if last.kind == "connect":
                connect_failures += 1
            LOG.info("%s attempt %d of %d: %s", label, number, attempts, last.describe())
        if connect_failures == attempts:
            raise OperationFailed("%s: the service is unreachable (%s)" % (label, last.reason))
        return Lost("%s went unanswered after %d attempts (last: %s)"
                    % (label, attempts, last.describe()))

    def call(self, method, path, query=None, body=None, keyed=False):
        """Like :meth:`send`, but an unanswered request fails the operation."""
        sent = self.send(method, path, query, body, keyed)
        if isinstance(sent, Lost):
            raise OperationFailed(sent.message)
        return sent

    def _body_for(self, raw, body, number, keyed):
        if raw is None or number == 1 or not keyed or not self.config.has("changed-body-on-retry"):
            return raw
        changed = dict(body)
        for field in ORDER_REFERENCES:
            if isinstance(changed.get(field), str):
                changed[field] = "%s-%d" % (changed[field], number)
                break
        return json.dumps(changed, separators=(",", ":")).encode("utf-8")


def new_key():
    """A new idempotency key: a GUID."""
    return str(uuid.uuid4())


def quote(segment):
    return urllib.parse.quote(str(segment), safe="")


class PosClient:
    """The ten operations of mpcert's driver protocol as real PoS v10 calls. One instance keeps
    its token, its poll pacing and what it saw of each payment across operations."""

    def __init__(self, config):
        self.config = config
        self.http = Transport(config)
        #: resource path -> (monotonic time of its last poll's end, delay asked after it)
        self._paces = {}
        self._polls_left = MAX_POLLS_PER_OPERATION
        #: paymentId -> the last answer seen for it
        self._payments = {}

    def perform(self, op, params):
        """Runs one operation; returns its result fields or raises :class:`OperationFailed`."""
        handler = {
            "create_pos": self.create_pos,
            "delete_pos": self.delete_pos,
            "pay": self.pay,
            "prepare": self.prepare,
            "ready": self.ready,
            "capture": self.capture,
            "cancel": self.cancel,
            "refund": self.refund,
            "capture_refund": self.capture_refund,
            "cancel_refund": self.cancel_refund,
        }.get(op)
        if handler is None:
            raise OperationFailed("unknown operation %r" % (op,))
        if not isinstance(params, dict):
            raise OperationFailed("params must be an object")
        self._polls_left = MAX_POLLS_PER_OPERATION
        return handler(Params(params))

    # -- points of sale --------------------------------------------------------------------

    def create_pos(self, p):
        brand = p.text("merchantBrandId")
        location = p.text("merchantLocationId")
        merchant_pos_id = p.text("merchantPosId")
        stores = self.http.call("GET", "/stores", {
            "merchantBrandId": brand, "merchantLocationId": location}).success()
        store_ids = ids(stores, "storeIds")
        if not store_ids:
            raise OperationFailed("no store for merchantBrandId %s and merchantLocationId %s"
                                  % (brand, location))
        body = {
            "merchantPosId": merchant_pos_id,
            "storeId": store_ids[0],
            "name": p.text("name"),
            "beaconId": p.optional("beaconId"),
            "supportedBeaconTypes": p.optional("supportedBeaconTypes") or ["QR"],
            "requirePaymentBeforeCheckin": False,
        }
        sent = self.http.send("POST", "/pointofsales", body=body, keyed=True)
        if isinstance(sent, Lost) or sent.is_conflict("1200"):
            # Unanswered, or the merchantPosId is taken: find the PoS it names.
            if isinstance(sent, Lost) and self.config.has("lost-id-not-looked-up"):
                raise OperationFailed(sent.message)
            found = ids(self.http.call("GET", "/pointofsales", {
                "merchantPosId": merchant_pos_id}).success(), "posIds")
            if len(found) != 1:
                reason = sent.message if isinstance(sent, Lost) else "merchantPosId is taken (409 1200)"
                raise OperationFailed("%s, and GET /pointofsales?merchantPosId= found %d PoSes"
                                      % (reason, len(found)))
            return {"posId": found[0]}
        return {"posId": required_text(sent.success(), "posId", "POST /pointofsales")}

    def delete_pos(self, p):
        pos_id = p.text("posId")
        answer = self.http.call("DELETE", "/pointofsales/" + quote(pos_id))
        if answer.status == 404 and answer.uncertain_before:
            LOG.info("404 after an unanswered DELETE: the PoS is already deleted")
            return {}
        answer.success()
        return {}

    # -- payments --------------------------------------------------------------------------

    def pay(self, p):
        pos_id = p.text("posId")
        order_id = p.text("orderId")
        amount = p.amount("amount")
        body = {
            "posId": pos_id,
            "orderId": order_id,
            "amount": amount,
            "currencyCode": p.text("currencyCode"),
            "restrictions": self._restrictions("initiate", p.optional("restrictions")),
            "merchantPaymentLabel": p.optional("merchantPaymentLabel"),
            "plannedCaptureDelay": p.optional("plannedCaptureDelay") or "None",
        }
        wait = p.flag("waitForCustomer", True)
        payment_id = self._start_payment("/payments", body, pos_id, order_id)
        if self.config.has("capture-before-reserved"):
            answer = self.http.send("POST", "/payments/%s/capture" % quote(payment_id),
                                    body={"amount": amount})
            LOG.info("captured at once: %s", getattr(answer, "status", "unanswered"))
        if self.config.has("stop-on-unexpected-status"):
            def keep_polling(status):
                return wait and status in ("Initiated", "IssuedToUser")
        else:
            def keep_polling(status):
                return wait and status in ACTIVE_PAYMENT
        last = self._poll_payment_until(payment_id, keep_polling)
        result = {"paymentId": payment_id, "status": last["status"]}
        if isinstance(last.get("partialCapturePossible"), bool):
            result["partialCapturePossible"] = last["partialCapturePossible"]
        return result

    def prepare(self, p):
        pos_id = p.text("posId")
        order_id = p.text("orderId")
        body = {"posId": pos_id, "orderId": order_id}
        if self.config.has("restrictions-on-prepare"):
            body["restrictions"] = {"debitCardDisallowed": True, "creditCardDisallowed": False}
        wait = p.flag("waitForCustomer", True) and not self.config.has("ready-before-paired")
        payment_id = self._start_payment("/payments/prepare", body, pos_id, order_id)
        last = self._poll_payment_until(payment_id, lambda status: wait and status == "Prepared")
        return {"paymentId": payment_id, "status": last["status"]}

    def ready(self, p):
        payment_id = p.text("paymentId")
        body = {
            "currencyCode": p.text("currencyCode"),
            "amount": p.amount("amount"),
            "restrictions": self._restrictions("ready", p.optional("restrictions")),
            "merchantPaymentLabel": p.optional("merchantPaymentLabel"),
            "plannedCaptureDelay": p.optional("plannedCaptureDelay") or "None",
        }
        self._refuse_if_terminal(payment_id, "ready")
        self.http.call("POST", "/payments/%s/ready" % quote(payment_id), body=body).success()
        last = self._poll_payment_until(payment_id, lambda status: status in ACTIVE_PAYMENT)
        result = {"status": last["status"]}
        if isinstance(last.get("partialCapturePossible"), bool):
            result["partialCapturePossible"] = last["partialCapturePossible"]
        return result

    def capture(self, p):
        payment_id = p.text("paymentId")
        amount = p.amount("amount")
        self._refuse_if_terminal(payment_id, "capture")
        seen = self._payments.get(payment_id) or {}
        reserved = seen.get("amount") if isinstance(seen.get("amount"), (int, float)) else None
        partial_impossible = (
            seen.get("status") == "Reserved"
            and seen.get("partialCapturePossible") is False
            and reserved is not None
            and amount < reserved - PARTIAL_EPSILON
        )
        if partial_impossible and not self.config.has("partial-capture-when-not-possible"):
            LOG.info("partial capture of %s is not possible: cancelling instead", payment_id)
            return self._cancel_payment(payment_id)
        if reserved is not None and self.config.has("capture-wrong-amount"):
            amount = reserved
        path = "/payments/%s/capture" % quote(payment_id)
        self.http.call("POST", path, body={"amount": amount}).success()
        return {"status": self._read_payment(payment_id)["status"]}

    def cancel(self, p):
        payment_id = p.text("paymentId")
        self._refuse_if_terminal(payment_id, "cancel")
        return self._cancel_payment(payment_id)

    def _cancel_payment(self, payment_id):
        self.http.call("POST", "/payments/%s/cancel" % quote(payment_id)).success()
        return {"status": self._read_payment(payment_id)["status"]}

    def _restrictions(self, call, asked):
        if self.config.has("drop-restrictions"):
            return None
        if call == "ready" and self.config.has("restrictions-on-prepare"):
            return None
        return asked

    def _refuse_if_terminal(self, payment_id, action):
        status = (self._payments.get(payment_id) or {}).get("status")
        if status in TERMINAL_PAYMENT:
            raise OperationFailed("payment %s was last seen %s, a terminal state; refusing to %s it"
                                  % (payment_id, status, action))

    def _start_payment(self, path, body, pos_id, order_id):
        """Initiates or prepares a payment; returns its id. On 409 1301 the PoS is cleaned up and
        the payment created again under a new key; an unanswered create is looked up."""
        sent = self.http.send("POST", path, body=body, keyed=True)
        if isinstance(sent, Answer) and sent.is_conflict("1301"):
            if self.config.has("skip-conflict-cleanup"):
                raise OperationFailed("a payment is already active on the PoS (409 1301); "
                                      "not cleaning up")
            if self.config.has("retry-refused-request"):
                for _ in range(2):
                    self.http.send("POST", path, body=body, keyed=True, key=sent.key)
                raise OperationFailed("a payment is still active on the PoS (409 1301)")
            LOG.info("a payment is already active on PoS %s: cleaning up", pos_id)
            self._clean_up_pos(pos_id)
            sent = self.http.send("POST", path, body=body, keyed=True)
            if isinstance(sent, Answer) and sent.is_conflict("1301"):
                raise OperationFailed("a payment is still active on the PoS after cleaning up "
                                      "(409 1301)")
        if isinstance(sent, Answer):
            return required_text(sent.success(), "paymentId", "POST " + path)
        if self.config.has("lost-id-not-looked-up"):
            raise OperationFailed(sent.message)
        LOG.info("%s; looking the payment up", sent.message)
        found = ids(self.http.call("GET", "/payments", {
            "posId": pos_id, "orderId": order_id}).success(), "paymentIds")
        if not found:
            raise OperationFailed("%s; GET /payments?posId=%s&orderId=%s found nothing, so it was "
                                  "never created" % (sent.message, pos_id, order_id))
        return found[0]

    def _clean_up_pos(self, pos_id):
        """Cancels every active payment on the PoS, never a Reserved one."""
        listed = ids(self.http.call("GET", "/payments", {"posId": pos_id}).success(), "paymentIds")
        for payment_id in listed:
            status = self._read_payment(payment_id).get("status")
            if status not in ACTIVE_PAYMENT:
                LOG.info("payment %s on the PoS is %s: left alone", payment_id, status)
                continue
            answer = self.http.call("POST", "/payments/%s/cancel" % quote(payment_id))
            if answer.status == 409:
                LOG.info("cleanup cancel of %s answered 409: no longer active", payment_id)
                continue
            answer.success()
            LOG.info("cancelled payment %s left %s on the PoS", payment_id, status)

    # -- refunds ---------------------------------------------------------------------------

    def refund(self, p):
        payment_id = p.text("paymentId")
        refund_order_id = p.text("refundOrderId")
        body = {
            "paymentId": payment_id,
            "refundOrderId": refund_order_id,
            "amount": p.amount("amount"),
            "currencyCode": p.text("currencyCode"),
        }
        sent = self.http.send("POST", "/refunds", body=body, keyed=True)
        if isinstance(sent, Answer):
            refund_id = required_text(sent.success(), "refundId", "POST /refunds")
        elif self.config.has("lost-id-not-looked-up"):
            raise OperationFailed(sent.message)
        else:
            LOG.info("%s; looking the refund up", sent.message)
            refund_id = self._find_refund(payment_id, refund_order_id)
            if refund_id is None:
                raise OperationFailed("%s; GET /refunds?paymentId=%s found no refund %s, so it was "
                                      "never created" % (sent.message, payment_id, refund_order_id))
        last = self._poll_until("/refunds/" + quote(refund_id), lambda status: status == "Initiated")
        return {"refundId": refund_id, "status": last["status"]}

    def _find_refund(self, payment_id, refund_order_id):
        listed = ids(self.http.call("GET", "/refunds", {"paymentId": payment_id}).success(),
                     "refundIds")
        for refund_id in listed:
            refund = self._poll_until("/refunds/" + quote(refund_id), lambda status: False)
            if refund.get("refundOrderId") == refund_order_id:
                return refund_id
        return None

    def capture_refund(self, p):
        return self._settle_refund(p.text("refundId"), "capture")

    def cancel_refund(self, p):
        return self._settle_refund(p.text("refundId"), "cancel")

    def _settle_refund(self, refund_id, action):
        resource = "/refunds/" + quote(refund_id)
        lost = None
        if not (action == "capture" and self.config.has("refund-never-captured")):
            sent = self.http.send("POST", "%s/%s" % (resource, action))
            if isinstance(sent, Lost):
                lost = sent.message
            else:
                sent.success()
        status = self._poll_until(resource, lambda status: False)["status"]
        if lost is not None:
            settled = ("Captured", "ExpiredAndCaptured") if action == "capture" else ("CancelledByClient",)
            if status not in settled:
                raise OperationFailed("%s; the refund is still %s" % (lost, status))
        return {"status": status}

    # -- polling ---------------------------------------------------------------------------

    def _poll(self, resource):
        """One answered poll of ``resource``, no sooner than the delay its last answer asked for.
        A poll that times out or fails with 5xx is polled again at the same pace."""
        connect_failures = 0
        last = "no poll made"
        while self._polls_left > 0:
            if not self.config.has("ignore-poll-delay"):
                pace = self._paces.get(resource)
                if pace is not None:
                    wait = pace[0] + pace[1] - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
            self._polls_left -= 1
            attempt = self.http.once("GET", resource)
            if attempt.kind == "answered" and 200 <= attempt.status < 300:
                body = attempt.json()
                if not isinstance(body, dict):
                    body = {}
                self._record_pace(resource, self._announced_delay(body))
                return body
            self._record_pace(resource, None)
            if attempt.kind == "answered" and attempt.status < 500:
                raise OperationFailed("GET %s answered %s" % (resource, attempt.describe()))
            if attempt.kind == "connect":
                connect_failures += 1
                if connect_failures > RETRIES:
                    raise OperationFailed("GET %s: the service is unreachable (%s)"
                                          % (resource, attempt.reason))
            else:
                connect_failures = 0
            last = attempt.describe()
            LOG.info("poll of %s: %s; polling again", resource, last)
        raise OperationFailed("gave up polling %s after %d polls in one operation; last: %s"
                              % (resource, MAX_POLLS_PER_OPERATION, last))

    def _announced_delay(self, body):
        if self.config.has("fixed-poll-interval"):
            return None
        delay = body.get("pollDelayInMs")
        if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay >= 0:
            # Stated in real milliseconds already: never scaled again.
            return delay / 1000.0
        return None

    def _record_pace(self, resource, delay):
        if delay is None:
            previous = self._paces.get(resource)
            delay = previous[1] if previous else self.config.scaled(DEFAULT_POLL_DELAY_MS)
        self._paces[resource] = (time.monotonic(), delay)

    def _poll_until(self, resource, keep_polling):
        """Polls until ``keep_polling(status)`` is false (the first answer always counts)."""
        while True:
            body = self._poll(resource)
            status = body.get("status")
            if not isinstance(status, str):
                raise OperationFailed("GET %s answered without a status" % resource)
            if resource.startswith("/payments/"):
                self._payments[urllib.parse.unquote(resource[len("/payments/"):])] = body
            if not keep_polling(status):
                return body
            if self._polls_left <= 0:
                raise OperationFailed("gave up polling %s after %d polls in one operation; "
                                      "status still %s" % (resource, MAX_POLLS_PER_OPERATION, status))

    def _poll_payment_until(self, payment_id, keep_polling):
        resource = "/payments/" + quote(payment_id)
        last = self._poll_until(resource, keep_polling)
        if last["status"] in TERMINAL_PAYMENT and self.config.has("act-after-terminal"):
            self._poll(resource)  # "just to be sure", after it was already seen terminal
        return last

    def _read_payment(self, payment_id):
        return self._poll_payment_until(payment_id, lambda status: False)


class Params:
    """An operation's parameters; parameters the client does not know are ignored."""

    def __init__(self, values):
        self._values = values

    def text(self, name):
        value = self._values.get(name)
        if not isinstance(value, str) or not value:
            raise OperationFailed("parameter %r must be a non-empty string" % name)
        return value

    def amount(self, name):
        value = self._values.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise OperationFailed("parameter %r must be a number" % name)
        return value

    def optional(self, name):
        return self._values.get(name)

    def flag(self, name, default):
        value = self._values.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise OperationFailed("parameter %r must be true or false" % name)
        return value


def ids(body, field):
    values = body.get(field) if isinstance(body, dict) else None
    return [value for value in values or [] if isinstance(value, str)]


def required_text(body, field, call):
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise OperationFailed("%s answered without %r" % (call, field))
    return value
