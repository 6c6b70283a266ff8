"""The built-in sandboxes of an installation: one per platform, kept in its database.

They serve the demo and users' own trials with no account anywhere: the web
app mounts each at ``/sandbox/<platform>`` (the QuickBooks OAuth consent page
included), and connections marked ``sandbox`` talk to them in-process. Each
platform's plugin says how to build its sandbox (``PlatformPlugin.sandbox``);
its state is shared by every process of the installation (serve and any
number of workers) through the database (``sandboxes.core.shared``).
"""
from __future__ import annotations

import threading

from ..connectors import registry

_lock = threading.Lock()
_instances: dict[tuple[str, str], registry.BuiltinSandbox] = {}


def get(container, platform: str) -> registry.BuiltinSandbox:  # noqa: ANN001
    key = (str(container.settings.data_dir.resolve()), container.settings.resolved_database_url, platform)
    with _lock:
        if key not in _instances:
            _instances[key] = registry.get(platform).builtin_sandbox(container)
        return _instances[key]


def mount_path(platform: str) -> str:
    return f"/sandbox/{platform}"
