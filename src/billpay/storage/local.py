"""Documents in a local directory (the embedded default): one machine, serve and its in-process worker."""
from __future__ import annotations

import os
from pathlib import Path

from .base import make_key, missing, parse_key, unavailable, verified


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        parse_key(key)
        return path

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
        """Store bytes; returns (key, sha256). Same bytes -> same key (stored once)."""
        key, sha = make_key(org_id, data, suffix)
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return key, sha

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise missing() from None
        except OSError as e:
            raise unavailable(e) from e
        return verified(key, data)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self):  # noqa: ANN201 - iterator of str
        """Every key stored here (for copying a local store into a shared one)."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                key = path.relative_to(self.root).as_posix()
                try:
                    parse_key(key)
                except ValueError:
                    continue
                yield key
