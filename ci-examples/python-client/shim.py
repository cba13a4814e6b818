#!/usr/bin/env python3
"""The exec shim: mpcert's driver protocol (version 1) on stdin/stdout around ``pos_client``.

mpcert starts this once per run (``--client exec:'python3 ci-examples/python-client/shim.py'``)
with the connection in the environment, writes one JSON request per line to stdin,

    {"id": 7, "op": "pay", "params": {"posId": "…", "orderId": "…", "amount": 100.0, …}}

and reads one JSON response per line from stdout,

    {"id": 7, "ok": true, "result": {"paymentId": "…", "status": "Reserved"}}
    {"id": 7, "ok": false, "error": {"message": "…"}}

stdout carries nothing else; the log goes to stderr. Closing stdin asks the shim to exit.
"""

import json
import logging
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pos_client  # noqa: E402  (the path above makes the shim work from any directory)

LOG = logging.getLogger("shim")


def respond(out, message):
    out.write(json.dumps(message, separators=(",", ":")) + "\n")
    out.flush()


def handle(client, line):
    """The response to one request line."""
    try:
        request = json.loads(line)
    except ValueError as error:
        LOG.error("not a JSON request line: %s", error)
        return {"id": None, "ok": False, "error": {"message": "not a JSON request: %s" % error}}
    if not isinstance(request, dict):
        return {"id": None, "ok": False, "error": {"message": "a request must be a JSON object"}}
    request_id = request.get("id")
    op = request.get("op")
    params = request.get("params")
    if params is None:
        params = {}
    LOG.info("request %s: %s", request_id, op)
    try:
        result = client.perform(op, params)
    except pos_client.OperationFailed as failure:
        LOG.info("request %s failed: %s", request_id, failure)
        return {"id": request_id, "ok": False, "error": {"message": str(failure)}}
    except Exception as error:  # a defect of the client: say so and carry on with the next one
        LOG.error("request %s crashed:\n%s", request_id, traceback.format_exc())
        return {"id": request_id, "ok": False,
                "error": {"message": "internal error: %s: %s" % (type(error).__name__, error)}}
    LOG.info("request %s done: %s", request_id, result)
    return {"id": request_id, "ok": True, "result": result}


def main():
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("POS_EXAMPLE_LOG", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Protocol lines go to the real stdout only; a stray print lands in the log instead.
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        config = pos_client.Config.from_env()
    except ValueError as error:
        LOG.error("cannot start: %s", error)
        return 2
    if config.misbehaviours:
        LOG.warning("misbehaving on purpose: %s", ", ".join(sorted(config.misbehaviours)))
    LOG.info("PoS v10 at %s, version %s, time scale %s",
             config.api_base_url, config.version, config.time_scale)
    client = pos_client.PosClient(config)
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            break
        text = line.decode("utf-8", errors="replace").strip()
        if text:
            respond(out, handle(client, text))
    LOG.info("stdin closed: exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
