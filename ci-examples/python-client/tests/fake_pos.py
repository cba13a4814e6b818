"""A tiny in-process stand-in for a PoS v10 service, for the self-check only.

It knows just enough of the API for the example client's flows, records every request with its
arrival and end times, and injects faults per endpoint: ``hold`` (process, then answer long after
any client timeout) and ``500``. It is no certification service: it judges nothing.
"""

import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "/pos/v10"
AUTH = "/auth"
STORE_ID = "9d0a9c45-1793-4e82-9410-b0ee6779ab60"
ACTIVE = {"Prepared", "Initiated", "Paired", "IssuedToUser"}


class Recorded:
    def __init__(self, method, path, query, headers, body, started):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.started = started
        self.ended = None

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        return self.headers.get(name.lower())


class FakePos:
    """``with FakePos() as pos:`` serves on 127.0.0.1 on a free port."""

    def __init__(self, hold_s=0.6, poll_delay_ms=100, payment_script=("Reserved",),
                 refund_script=("Reserved",), partial_capture_possible=False):
        self.hold_s = hold_s
        self.poll_delay_ms = poll_delay_ms
        self.payment_script = list(payment_script)
        self.refund_script = list(refund_script)
        self.partial_capture_possible = partial_capture_possible
        self.faults = {}
        self.expire_token_once = False
        self.requests = []
        self.token_forms = []
        self.payments = {}
        self.refunds = {}
        self.keys = {}
        self.lock = threading.Lock()
        self._tokens = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._serve(self)

            def do_POST(self):
                fake._serve(self)

            def do_DELETE(self):
                fake._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.api_base = self.base + API
        self.auth_base = self.base + AUTH

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # -- what tests look at ----------------------------------------------------------------

    def calls(self, method, template):
        """Recorded PoS requests whose path matches ``template`` (``{id}`` matches a segment)."""
        want = (API + template).split("/")
        found = []
        for request in self.requests:
            got = request.path.split("/")
            if request.method == method and len(got) == len(want) and all(
                    w == "{id}" or w == g for w, g in zip(want, got)):
                found.append(request)
        return found

    def seed_payment(self, pos_id, status, amount=10.0):
        payment_id = str(uuid.uuid4())
        self.payments[payment_id] = {
            "paymentId": payment_id, "posId": pos_id, "orderId": "seed-" + payment_id[:8],
            "amount": amount, "currencyCode": "DKK", "status": status, "script": [status],
        }
        return payment_id

    # -- serving ---------------------------------------------------------------------------

    def _serve(self, handler):
        parts = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        record = Recorded(handler.command, parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                          headers, body, time.monotonic())
        with self.lock:
            self.requests.append(record)
            status, answer, fault = self._answer(record)
        if fault == "hold":
            time.sleep(self.hold_s)
        elif fault == "500":
            status, answer = 500, {"code": "2000", "message": "injected"}
        payload = b"" if answer is None else json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client hung up on a held answer
        record.ended = time.monotonic()

    def _fault(self, record):
        path = record.path[len(API):]
        segments = path.split("/")
        template = "/".join("{id}" if len(s) == 36 else s for s in segments)
        queue = self.faults.get("%s %s" % (record.method, template))
        return queue.pop(0) if queue else None

    def _answer(self, record):
        if record.path == AUTH + "/connect/token":
            self.token_forms.append(dict(urllib.parse.parse_qsl(record.body.decode())))
            self._tokens += 1
            return 200, {"access_token": "token-%d" % self._tokens, "expires_in": 3700,
                         "token_type": "Bearer"}, None
        if not record.path.startswith(API):
            return 404, None, None
        if self.expire_token_once:
            self.expire_token_once = False
            return 401, None, None
        fault = self._fault(record)
        if fault == "500":
            return 500, None, fault
        status, answer = self._route(record)
        return status, answer, fault

    def _route(self, record):
        method, path, query = record.method, record.path[len(API):], record.query
        seg = path.strip("/").split("/")
        if method == "GET" and seg == ["stores"]:
            return 200, {"storeIds": [STORE_ID]}
        if method == "POST" and seg[0] in ("pointofsales", "payments", "refunds") and (
                len(seg) == 1 or seg[1:] == ["prepare"]):
            key = record.header("X-MobilePay-Idempotency-Key")
            if key in self.keys:
                return 200, self.keys[key]
            status, answer = self._create(seg, record.json())
            if status == 200:
                self.keys[key] = answer
            return status, answer
        if method == "GET" and seg == ["pointofsales"]:
            return 200, {"posIds": []}
        if method == "DELETE" and seg[0] == "pointofsales":
            return 200, None
        if seg[0] == "payments":
            return self._payments(method, seg, query, record)
        if seg[0] == "refunds":
            return self._refunds(method, seg, query)
        return 404, None

    def _create(self, seg, body):
        if seg == ["pointofsales"]:
            return 200, {"posId": str(uuid.uuid4())}
        if seg[0] == "payments":
            pos_id = body["posId"]
            if any(p["posId"] == pos_id and p["status"] in ACTIVE for p in self.payments.values()):
                return 409, {"code": "1301", "message": "A payment is already active"}
            payment_id = str(uuid.uuid4())
            prepared = seg[1:] == ["prepare"]
            self.payments[payment_id] = dict(
                body, paymentId=payment_id, amount=None if prepared else body["amount"],
                status="Prepared" if prepared else "Initiated", script=list(self.payment_script))
            return 200, {"paymentId": payment_id}
        payment = self.payments[body["paymentId"]]
        refund_id = str(uuid.uuid4())
        self.refunds[refund_id] = dict(body, refundId=refund_id, status="Initiated",
                                       script=list(self.refund_script), paymentId=payment["paymentId"])
        return 200, {"refundId": refund_id}

    def _payments(self, method, seg, query, record):
        if method == "GET" and len(seg) == 1:
            found = [p["paymentId"] for p in self.payments.values()
                     if p["posId"] == query.get("posId", p["posId"])
                     and p["orderId"] == query.get("orderId", p["orderId"])
                     and (p["status"] in ACTIVE or p["status"] == "Reserved")]
            return 200, {"paymentIds": found}
        payment = self.payments.get(seg[1])
        if payment is None:
            return 404, None
        if method == "GET":
            if payment["script"] and payment["status"] in ACTIVE:
                payment["status"] = payment["script"].pop(0) if len(payment["script"]) > 1 \
                    else payment["script"][0]
            answer = {k: v for k, v in payment.items() if k != "script"}
            answer["pollDelayInMs"] = self.poll_delay_ms
            if payment["status"] == "Reserved":
                answer["partialCapturePossible"] = self.partial_capture_possible
            return 200, answer
        action = seg[2]
        if action == "cancel":
            if payment["status"] not in ACTIVE | {"Reserved", "CancelledByClient"}:
                return 409, {"code": "1300"}
            payment["status"] = "CancelledByClient"
        elif action == "capture":
            if payment["status"] != "Reserved":
                return 409, {"code": "1304"}
            payment["status"] = "Captured"
            payment["captured"] = record.json()["amount"]
        elif action == "ready":
            payment.update(record.json())
            payment["status"] = "IssuedToUser"
        return 200, None

    def _refunds(self, method, seg, query):
        if method == "GET" and len(seg) == 1:
            return 200, {"refundIds": [r["refundId"] for r in self.refunds.values()
                                       if r["paymentId"] == query.get("paymentId")]}
        refund = self.refunds.get(seg[1])
        if refund is None:
            return 404, None
        if method == "GET":
            if refund["status"] == "Initiated" and refund["script"]:
                refund["status"] = refund["script"].pop(0) if len(refund["script"]) > 1 \
                    else refund["script"][0]
            answer = {k: v for k, v in refund.items() if k != "script"}
            answer["pollDelayInMs"] = self.poll_delay_ms
            return 200, answer
        refund["status"] = "Captured" if seg[2] == "capture" else "CancelledByClient"
        return 200, None
