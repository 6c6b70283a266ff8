"""Original files (uploads, e-mails) stored unchanged, content-addressed on local disk."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
        """Store bytes; returns (key, sha256). Same bytes -> same key (stored once)."""
        sha = hashlib.sha256(data).hexdigest()
        key = f"{org_id}/{sha[:2]}/{sha}{suffix}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return key, sha

    def get(self, key: str) -> bytes:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path.read_bytes()
