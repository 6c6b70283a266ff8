"""What the end-to-end platform classes share: checking that an expired access token was renewed and kept."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from billpay.db import tables as t


class Platform:
    """Defaults of an end-to-end platform class (each platform overrides what differs)."""

    #: The platform hands out a new refresh token on refresh (stored encrypted with the access token).
    rotates_refresh_tokens = False
    #: API calls one create takes when it is sent again as it was (replay or lookup included).
    calls_per_replay = 1
    #: Reference kinds the seeded company has none of.
    empty_reference_kinds: tuple[str, ...] = ()
    #: A person can move a bill's date on the platform.
    can_edit_invoice_date = True
    #: Creates carry an idempotency key the platform honours (request id, external id, control id).
    idempotent_creates = True
    #: The platform's API shows what was paid of a partly paid bill.
    partial_payments_visible = True
    #: The connector reverses a synced bill payment (a bank return after settlement).
    reverses_payments = False
    #: The connector refuses a stale update and the engine merges the platform's edits (with ``split_line``).
    merges_platform_edits = False

    def set_company_settings(self, **settings) -> None:
        """Change what the company accepts (home currency, books closed through) as its admin would."""
        pytest.skip(f"the {getattr(self, 'name', 'platform')} sandbox has no company settings a test can change")

    def add_bank_account(self, name: str, currency: str) -> str:
        """A bank account in ``currency`` opened in the company, as its admin would; returns its platform id."""
        pytest.skip(f"the {getattr(self, 'name', 'platform')} sandbox has no bank accounts a test can add")


class AccessTokenSignIn(Platform):
    """Platforms whose connector signs in with OAuth access tokens kept (encrypted) in the connection row."""

    name: str
    state: object
    rotates_refresh_tokens: bool

    def _connection(self, container) -> t.Connection:
        with container.sessionmaker() as s:
            return s.scalars(select(t.Connection).where(t.Connection.platform == self.name,
                                                        t.Connection.status == "connected")).one()

    def sign_in_marker(self, container):
        return self._connection(container).secrets_enc

    def expire_sign_in(self) -> None:
        self.state.expire_access_tokens()

    def check_sign_in_renewed(self, container, before) -> None:
        conn = self._connection(container)
        after = container.vault.decrypt_json(conn.secrets_enc)
        assert conn.secrets_enc != before  # the renewed tokens were saved
        assert after["tokens"]["access_token"] and after["tokens"]["access_token"] not in (conn.secrets_enc or "")
        if self.rotates_refresh_tokens:
            assert after["tokens"]["refresh_token"]
            assert after["tokens"]["refresh_token"] not in (conn.secrets_enc or "")  # encrypted at rest
