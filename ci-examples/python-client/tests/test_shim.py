"""The shim speaks the driver protocol: one JSON response line per request line, ids echoed,
failures as ``ok: false``, nothing else on stdout, exit when stdin closes."""

import json
import os
import subprocess
import sys
import unittest

from fake_pos import FakePos

SHIM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shim.py")


class Shim(unittest.TestCase):
    def run_shim(self, pos, lines, **env):
        environ = dict(os.environ, MPCERT_PROTOCOL="1", MPCERT_API_BASE_URL=pos.api_base,
                       MPCERT_AUTH_URL=pos.auth_base, MPCERT_CLIENT_ID="client-1",
                       MPCERT_CLIENT_SECRET="secret-1", MPCERT_MERCHANT_VAT="DK90000028",
                       MPCERT_TIME_SCALE="0.05")
        environ.pop("POS_EXAMPLE_MISBEHAVE", None)
        environ.update(env)
        done = subprocess.run([sys.executable, SHIM], input="".join(line + "\n" for line in lines),
                              capture_output=True, text=True, env=environ, timeout=30)
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr

    def test_operations_round_trip(self):
        with FakePos(poll_delay_ms=10) as pos:
            requests = [
                {"id": 1, "op": "create_pos", "params": {
                    "merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001",
                    "merchantPosId": "till-1", "name": "Till 1", "somethingNew": 42}},
                {"id": 2, "op": "pay", "params": {
                    "posId": "pos-1", "orderId": "o-1", "amount": 12.5, "currencyCode": "DKK"}},
                {"id": 3, "op": "teleport", "params": {}},
                {"id": 4, "op": "capture", "params": {"paymentId": "unknown", "amount": 1}},
            ]
            code, responses, log = self.run_shim(pos, [json.dumps(r) for r in requests] + ["not json"])
        self.assertEqual(code, 0, log)
        self.assertEqual([r["id"] for r in responses], [1, 2, 3, 4, None])
        self.assertTrue(responses[0]["ok"] and responses[0]["result"]["posId"])
        self.assertEqual(responses[1]["result"]["status"], "Reserved")
        self.assertEqual(responses[1]["result"]["partialCapturePossible"], False)
        for response in responses[2:]:
            self.assertFalse(response["ok"])
            self.assertTrue(response["error"]["message"])
        self.assertIn("stdin closed", log)
        self.assertNotIn("secret-1", log)

    def test_refuses_to_start_with_an_unknown_switch(self):
        with FakePos() as pos:
            code, responses, log = self.run_shim(pos, [], POS_EXAMPLE_MISBEHAVE="be-nice")
        self.assertEqual((code, responses), (2, []))
        self.assertIn("be-nice", log)


if __name__ == "__main__":
    unittest.main()
