"""``python -m billpay.capture.extraction FILE [--profile PROFILE.json]``: print the extraction as JSON.

The same payload as ``billpay extract FILE --json``; handy for scripts and for
scoring the engine against an evaluation set.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import cli_payload, extract_document
from .profile import VendorProfile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m billpay.capture.extraction", description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--profile", help="a vendor profile (JSON) learned from confirmed bills")
    args = ap.parse_args(argv)
    profile = None
    if args.profile:
        with open(args.profile, encoding="utf-8") as fh:
            profile = VendorProfile.from_json(fh.read())
    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        print(json.dumps({"status": "rejected", "reason_code": "unreadable_file", "reason": str(exc)}))
        return 1
    result = extract_document(data, args.file, profile=profile)
    print(json.dumps(cli_payload(result), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
