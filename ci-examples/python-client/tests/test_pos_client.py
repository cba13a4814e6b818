"""Self-check of the example client against the in-process fake PoS (python3 only, a few seconds):

    python3 -m unittest discover -s ci-examples/python-client/tests
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pos_client  # noqa: E402
from fake_pos import FakePos  # noqa: E402

SCALE = 0.05  # timeouts of 100 ms (the floor), retry pauses of 10 ms
GUID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
POS_PARAMS = {"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001",
              "merchantPosId": "till-1", "name": "Till 1", "supportedBeaconTypes": ["QR"]}


def client_for(pos, *misbehaviours, version="1.2.3"):
    config = pos_client.Config(
        api_base_url=pos.api_base, auth_url=pos.auth_base, client_id="client-1",
        client_secret="secret-1", merchant_vat="DK90000028", time_scale=SCALE, version=version,
        misbehaviours=frozenset(misbehaviours))
    return pos_client.PosClient(config)


def pay_params(pos_id, **extra):
    params = {"posId": pos_id, "orderId": "order-1", "amount": 100.0, "currencyCode": "DKK"}
    params.update(extra)
    return params


class Timing(unittest.TestCase):
    def test_timeouts_scale_with_a_floor(self):
        config = pos_client.Config("http://h/pos/v10", "http://h/auth", "c", "s", None, time_scale=1)
        self.assertEqual((config.timeout("GET"), config.timeout("POST")), (0.5, 2.0))
        config.time_scale = 0.5
        self.assertEqual((config.timeout("GET"), config.timeout("DELETE")), (0.25, 1.0))
        config.time_scale = 0.01
        self.assertEqual((config.timeout("GET"), config.timeout("POST")), (0.1, 0.1))
        self.assertAlmostEqual(config.scaled(pos_client.RETRY_DELAY_MS), 0.002)

    def test_environment(self):
        env = {"MPCERT_PROTOCOL": "1", "MPCERT_API_BASE_URL": "http://h/pos/v10/",
               "MPCERT_AUTH_URL": "http://h/auth", "MPCERT_CLIENT_ID": "c",
               "MPCERT_CLIENT_SECRET": "s", "MPCERT_MERCHANT_VAT": "DK90000028",
               "MPCERT_TIME_SCALE": "0.01"}
        config = pos_client.Config.from_env(env)
        self.assertEqual((config.api_base_url, config.time_scale, config.version),
                         ("http://h/pos/v10", 0.01, pos_client.EXAMPLE_VERSION))
        config = pos_client.Config.from_env(dict(env, POS_EXAMPLE_VERSION="2.1.0",
                                                 POS_EXAMPLE_MISBEHAVE="omit-client-id, ignore-poll-delay"))
        self.assertEqual(config.version, "2.1.0")
        self.assertEqual(config.misbehaviours, {"omit-client-id", "ignore-poll-delay"})
        with self.assertRaises(ValueError):
            pos_client.Config.from_env(dict(env, POS_EXAMPLE_MISBEHAVE="no-such-thing"))
        with self.assertRaises(ValueError):
            pos_client.Config.from_env(dict(env, MPCERT_CLIENT_SECRET=""))


class Onboarding(unittest.TestCase):
    def test_held_and_failed_creates_are_retried_with_the_same_key_and_body(self):
        with FakePos() as pos:
            pos.faults["POST /pointofsales"] = ["hold", "500"]
            started = time.monotonic()
            result = client_for(pos).perform("create_pos", POS_PARAMS)
            creates = pos.calls("POST", "/pointofsales")
            self.assertEqual(len(creates), 3)
            self.assertEqual(result["posId"], pos.keys[creates[0].header("X-MobilePay-Idempotency-Key")]["posId"])
            self.assertEqual({c.header("X-MobilePay-Idempotency-Key") for c in creates},
                             {creates[0].header("X-MobilePay-Idempotency-Key")})
            self.assertRegex(creates[0].header("X-MobilePay-Idempotency-Key"), GUID)
            self.assertEqual({c.body for c in creates}, {creates[0].body})
            self.assertEqual(creates[0].json()["storeId"], "9d0a9c45-1793-4e82-9410-b0ee6779ab60")
            # The held answer was abandoned at the (floored) timeout, long before the hold ended.
            self.assertLess(time.monotonic() - started, pos.hold_s)
            for request in pos.requests:
                if request.path.startswith("/pos/v10"):
                    self.assertEqual(request.header("Authorization"), "Bearer token-1")
                    self.assertEqual(request.header("X-MobilePay-Client-System-Version"), "1.2.3")
                    self.assertEqual(request.header("X-MobilePay-Merchant-VAT-Number"), "DK90000028")
                    self.assertEqual(request.header("x-ibm-client-id"), "client-1")
            self.assertEqual(pos.token_forms, [{"grant_type": "client_credentials",
                                                "merchant_vat": "DK90000028"}])

    def test_every_logical_request_gets_a_new_key(self):
        with FakePos() as pos:
            client = client_for(pos)
            client.perform("create_pos", POS_PARAMS)
            client.perform("create_pos", dict(POS_PARAMS, merchantPosId="till-2"))
            keys = [c.header("X-MobilePay-Idempotency-Key") for c in pos.calls("POST", "/pointofsales")]
            self.assertEqual(len(set(keys)), 2)

    def test_a_held_delete_is_retried(self):
        with FakePos() as pos:
            pos.faults["DELETE /pointofsales/{id}"] = ["hold", "500"]
            self.assertEqual(client_for(pos).perform("delete_pos", {"posId": "p" * 36}), {})
            self.assertEqual(len(pos.calls("DELETE", "/pointofsales/{id}")), 3)
            self.assertIsNone(pos.calls("DELETE", "/pointofsales/{id}")[0].header("X-MobilePay-Idempotency-Key"))

    def test_a_401_fetches_a_new_token_and_repeats_the_call(self):
        with FakePos() as pos:
            client = client_for(pos)
            client.perform("create_pos", POS_PARAMS)
            pos.expire_token_once = True
            client.perform("create_pos", dict(POS_PARAMS, merchantPosId="till-2"))
            self.assertEqual(len(pos.token_forms), 2)
            self.assertEqual(pos.requests[-1].header("Authorization"), "Bearer token-2")


class Payments(unittest.TestCase):
    def test_polls_at_the_pace_asked_and_stops_at_the_outcome(self):
        with FakePos(poll_delay_ms=150, payment_script=["Initiated", "Paired", "IssuedToUser", "Reserved"]) as pos:
            client = client_for(pos)
            result = client.perform("pay", pay_params("pos-1"))
            self.assertEqual(result["status"], "Reserved")
            self.assertIs(result["partialCapturePossible"], False)
            polls = pos.calls("GET", "/payments/{id}")
            self.assertEqual(len(polls), 4)  # Paired, unexpected here, is polled on
            for before, after in zip(polls, polls[1:]):
                self.assertGreaterEqual(after.started - before.ended, 0.15)
            self.assertEqual(client.perform("capture", {"paymentId": result["paymentId"], "amount": 100.0}),
                             {"status": "Captured"})
            self.assertEqual(pos.calls("POST", "/payments/{id}/capture")[0].json(), {"amount": 100.0})
            # Seen Captured: no further action on it, not even a poll.
            count = len(pos.requests)
            with self.assertRaisesRegex(pos_client.OperationFailed, "terminal"):
                client.perform("cancel", {"paymentId": result["paymentId"]})
            self.assertEqual(len(pos.requests), count)

    def test_an_active_payment_left_on_the_pos_is_cleaned_up(self):
        with FakePos(poll_delay_ms=10, payment_script=["Initiated"]) as pos:
            reserved = pos.seed_payment("pos-1", "Reserved")
            active = pos.seed_payment("pos-1", "IssuedToUser")
            result = client_for(pos).perform("pay", pay_params("pos-1", waitForCustomer=False))
            self.assertEqual(result["status"], "Initiated")
            self.assertEqual(pos.payments[active]["status"], "CancelledByClient")
            self.assertEqual(pos.payments[reserved]["status"], "Reserved")
            initiates = pos.calls("POST", "/payments")
            self.assertEqual([r.query for r in pos.calls("GET", "/payments")], [{"posId": "pos-1"}])
            self.assertEqual(len(initiates), 2)
            self.assertNotEqual(initiates[0].header("X-MobilePay-Idempotency-Key"),
                                initiates[1].header("X-MobilePay-Idempotency-Key"))
            self.assertEqual(len(pos.calls("GET", "/payments/{id}")), 3)  # two read, one poll

    def test_a_lost_payment_id_is_looked_up(self):
        with FakePos(poll_delay_ms=10) as pos:
            pos.faults["POST /payments"] = ["hold", "500", "500"]
            result = client_for(pos).perform("pay", pay_params("pos-1"))
            self.assertEqual(len(pos.calls("POST", "/payments")), 3)
            self.assertEqual([r.query for r in pos.calls("GET", "/payments")],
                             [{"posId": "pos-1", "orderId": "order-1"}])
            self.assertEqual(result["status"], "Reserved")

    def test_a_partial_capture_that_is_not_possible_becomes_a_cancel(self):
        with FakePos(poll_delay_ms=10) as pos:
            client = client_for(pos)
            payment_id = client.perform("pay", pay_params("pos-1"))["paymentId"]
            result = client.perform("capture", {"paymentId": payment_id, "amount": 60.0})
            self.assertEqual(result, {"status": "CancelledByClient"})
            self.assertEqual(pos.calls("POST", "/payments/{id}/capture"), [])

    def test_restrictions_go_on_the_ready_not_the_prepare(self):
        with FakePos(poll_delay_ms=10, payment_script=["Paired"]) as pos:
            client = client_for(pos)
            prepared = client.perform("prepare", {"posId": "pos-1", "orderId": "order-1"})
            self.assertEqual(prepared["status"], "Paired")
            pos.payments[prepared["paymentId"]]["script"] = ["Reserved"]
            restrictions = {"debitCardDisallowed": True, "creditCardDisallowed": False}
            client.perform("ready", {"paymentId": prepared["paymentId"], "amount": 10.0,
                                     "currencyCode": "DKK", "restrictions": restrictions})
            self.assertNotIn("restrictions", pos.calls("POST", "/payments/prepare")[0].json())
            self.assertEqual(pos.calls("POST", "/payments/{id}/ready")[0].json()["restrictions"], restrictions)


class Refunds(unittest.TestCase):
    def test_a_lost_refund_id_is_looked_up_and_the_refund_followed_up(self):
        with FakePos(poll_delay_ms=10) as pos:
            client = client_for(pos)
            payment_id = client.perform("pay", pay_params("pos-1"))["paymentId"]
            client.perform("capture", {"paymentId": payment_id, "amount": 100.0})
            pos.faults["POST /refunds"] = ["hold", "500", "500"]
            result = client.perform("refund", {"paymentId": payment_id, "amount": 100.0,
                                               "currencyCode": "DKK", "refundOrderId": "refund-1"})
            self.assertEqual(result["status"], "Reserved")
            self.assertEqual([r.query for r in pos.calls("GET", "/refunds")], [{"paymentId": payment_id}])
            self.assertEqual(client.perform("cancel_refund", {"refundId": result["refundId"]}),
                             {"status": "CancelledByClient"})


class Misbehaviours(unittest.TestCase):
    def test_fresh_key_on_retry(self):
        with FakePos() as pos:
            pos.faults["POST /pointofsales"] = ["500", "500"]
            client_for(pos, "fresh-key-on-retry").perform("create_pos", POS_PARAMS)
            keys = {c.header("X-MobilePay-Idempotency-Key") for c in pos.calls("POST", "/pointofsales")}
            self.assertEqual(len(keys), 3)

    def test_ignore_poll_delay(self):
        with FakePos(poll_delay_ms=300, payment_script=["Initiated", "IssuedToUser", "Reserved"]) as pos:
            client_for(pos, "ignore-poll-delay").perform("pay", pay_params("pos-1"))
            polls = pos.calls("GET", "/payments/{id}")
            self.assertLess(polls[1].started - polls[0].ended, 0.3)

    def test_omitted_headers(self):
        with FakePos() as pos:
            client_for(pos, "omit-version-header", "omit-client-id", "omit-merchant-vat").perform(
                "create_pos", POS_PARAMS)
            for request in pos.calls("POST", "/pointofsales"):
                for header in ("X-MobilePay-Client-System-Version", "x-ibm-client-id",
                               "X-MobilePay-Merchant-VAT-Number"):
                    self.assertIsNone(request.header(header))
            self.assertNotIn("merchant_vat", pos.token_forms[0])

    def test_skip_conflict_cleanup(self):
        with FakePos() as pos:
            pos.seed_payment("pos-1", "IssuedToUser")
            with self.assertRaisesRegex(pos_client.OperationFailed, "1301"):
                client_for(pos, "skip-conflict-cleanup").perform("pay", pay_params("pos-1"))
            self.assertEqual(pos.calls("GET", "/payments"), [])


if __name__ == "__main__":
    unittest.main()
