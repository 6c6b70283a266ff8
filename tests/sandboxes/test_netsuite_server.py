"""``python -m billpay.sandboxes.netsuite.server``: its first stdout line is the connection JSON."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx

from billpay.sandboxes.netsuite.server import KEYS


def test_server_prints_the_connection_json_first_and_serves_it(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "billpay.sandboxes.netsuite.server", "--port", "0",
                             "--state-file", str(tmp_path / "ns.json")], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert tuple(info) == KEYS and info["platform"] == "netsuite"
        assert info["token_url"] == info["base_url"] + "/services/rest/auth/oauth2/v1/token"
        assert info["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
        index = httpx.get(info["base_url"] + "/", timeout=10).json()
        assert index["accounts"] == [info["account_id"]]
        unsigned = httpx.get(info["base_url"] + "/services/rest/record/v1/vendor", timeout=10)
        assert unsigned.status_code == 401 and unsigned.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    finally:
        proc.terminate()
        proc.wait(10)
