"""The built-in QuickBooks sandbox of an installation: one company kept in the data dir.

It serves the demo and users' own trials with no account anywhere: the web
app mounts it at ``/sandbox/quickbooks`` (its OAuth consent page included),
and connections marked ``sandbox`` talk to it in-process.
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_instances: dict[str, tuple] = {}


def _instance(container):  # noqa: ANN001, ANN202
    from ..sandboxes.quickbooks import QuickBooksState, create_app, in_process_transport

    key = str(container.settings.data_dir.resolve())
    with _lock:
        if key not in _instances:
            state = QuickBooksState(persist_path=container.settings.data_dir / "sandbox-quickbooks.json")
            app = create_app(state)
            _instances[key] = (state, app, in_process_transport(app, root_path="/sandbox/quickbooks"))
        return _instances[key]


def state(container):  # noqa: ANN001, ANN201
    return _instance(container)[0]


def app(container):  # noqa: ANN001, ANN201
    return _instance(container)[1]


def transport(container):  # noqa: ANN001, ANN201
    return _instance(container)[2]


def company(container) -> dict:  # noqa: ANN001
    """Credentials for a connection to the built-in sandbox company (seeded on first use)."""
    st = state(container)
    with _lock:
        realms = getattr(st, "realm_ids", None)
        realm = realms()[0] if callable(realms) and realms() else None
        if realm is None:
            realm = st.seed_company()
        client_id, client_secret = st.register_client()
        refresh = st.issue_refresh_token(client_id, realm)
    return {"realm_id": realm, "client_id": client_id, "client_secret": client_secret, "refresh_token": refresh}
