"""OAuth 2.0 refresh flow: expiry, 401, rotation persisted before use, revocation, no leaks."""
from __future__ import annotations

import base64
import datetime as dt

import httpx
import pytest

from billpay.connectors.base import InMemoryTokenStore, OAuth2RefreshTokenAuth, OAuthTokens
from billpay.sync.ports import ConnectorError

from .qbo_script import NOW, TOKEN_URL, Script, form_of, fresh_tokens, respond, token_answer

API = "https://qbo.test/v3/company/1/companyinfo/1"


class RecordingStore(InMemoryTokenStore):
    def __init__(self, tokens, events):
        super().__init__(tokens)
        self.events = events

    def save(self, tokens):
        self.events.append(("save", tokens.access_token, tokens.refresh_token))
        super().save(tokens)


def rig(script: Script, tokens: OAuthTokens | None, *, store=None, on_rotate=None):
    store = store if store is not None else InMemoryTokenStore(tokens)
    auth = OAuth2RefreshTokenAuth(token_url=TOKEN_URL, client_id="cid", client_secret="csecret",
                                  store=store, platform="QuickBooks Online", now=lambda: NOW,
                                  on_rotate=on_rotate)
    return httpx.Client(transport=httpx.MockTransport(script), auth=auth), auth, store


def api_ok(request: httpx.Request) -> httpx.Response:
    return respond({"ok": request.headers["Authorization"]})


def test_valid_token_is_sent_as_bearer_without_refreshing():
    script = Script().on("GET", "/companyinfo/1", api_ok)
    client, auth, store = rig(script, fresh_tokens())
    assert client.get(API).json() == {"ok": "Bearer access-0"}
    assert store.saves == 0 and auth.refreshes == 0


def test_expired_token_is_refreshed_and_rotation_saved_before_use():
    events: list = []

    def api(request):
        events.append(("api", request.headers["Authorization"]))
        return respond({})

    def token(request):
        events.append(("token", request.headers["Authorization"], form_of(request)))
        return token_answer("access-1", "refresh-1")

    script = Script().on("GET", "/companyinfo/1", api).on("POST", "/tokens/bearer", token)
    expired = fresh_tokens(expires_at=NOW - dt.timedelta(seconds=1))
    rotated: list = []
    store = RecordingStore(expired, events)
    client, auth, _ = rig(script, expired, store=store, on_rotate=rotated.append)
    client.get(API)
    basic = "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert events == [
        ("token", basic, {"grant_type": "refresh_token", "refresh_token": "refresh-0"}),
        ("save", "access-1", "refresh-1"),
        ("api", "Bearer access-1"),
    ]
    saved = store.load()
    assert saved.expires_at == NOW + dt.timedelta(seconds=3600)
    assert [t.refresh_token for t in rotated] == ["refresh-1"]


def test_token_about_to_expire_is_refreshed_early():
    script = Script().on("GET", "/companyinfo/1", api_ok).on("POST", "/tokens/bearer",
                                                              token_answer("access-1", "refresh-1"))
    client, auth, _ = rig(script, fresh_tokens(expires_at=NOW + dt.timedelta(seconds=30)))
    assert client.get(API).json() == {"ok": "Bearer access-1"}


def test_401_refreshes_once_and_resends_the_request():
    answers = iter([respond({"fault": {"error": [{"code": "3200"}]}}, 401), respond({"ok": True})])
    sent = []

    def api(request):
        sent.append(request.headers["Authorization"])
        return next(answers)

    script = Script().on("GET", "/companyinfo/1", api).on(
        "POST", "/tokens/bearer", token_answer("access-1", "refresh-1"))
    client, auth, store = rig(script, fresh_tokens())
    assert client.get(API).json() == {"ok": True}
    assert sent == ["Bearer access-0", "Bearer access-1"]
    assert store.load().refresh_token == "refresh-1"


def test_second_401_is_returned_not_looped():
    script = Script().on("GET", "/companyinfo/1", respond({}, 401)).on(
        "POST", "/tokens/bearer", token_answer("access-1", "refresh-1"))
    client, auth, _ = rig(script, fresh_tokens())
    assert client.get(API).status_code == 401
    assert len(script.calls("POST", "/tokens/bearer")) == 1


def test_refresh_token_kept_when_the_provider_does_not_rotate():
    script = Script().on("GET", "/companyinfo/1", api_ok).on(
        "POST", "/tokens/bearer", respond({"access_token": "access-1", "expires_in": 3600}))
    client, auth, store = rig(script, fresh_tokens(expires_at=NOW))
    client.get(API)
    assert store.load().refresh_token == "refresh-0"


def test_another_workers_refresh_is_reused_instead_of_refreshing_again():
    store = InMemoryTokenStore(fresh_tokens())
    revoked = set()

    def api(request):
        if request.headers["Authorization"] in revoked:
            return respond({}, 401)
        return api_ok(request)

    script = Script().on("GET", "/companyinfo/1", api)
    client, auth, _ = rig(script, None, store=store)
    client.get(API)  # caches access-0 ... which another worker then replaces:
    store.save(fresh_tokens("access-9", "refresh-9"))
    revoked.add("Bearer access-0")
    assert client.get(API).json() == {"ok": "Bearer access-9"}
    assert script.calls("POST", "/tokens/bearer") == []


def test_invalid_grant_means_the_admin_must_reconnect_and_leaks_nothing():
    script = Script().on("POST", "/tokens/bearer",
                         respond({"error": "invalid_grant", "error_description": "Token refresh-0 invalid"}, 400))
    client, auth, _ = rig(script, fresh_tokens(expires_at=NOW))
    with pytest.raises(ConnectorError) as caught:
        client.get(API)
    error = caught.value
    assert error.code == "platform_auth_revoked" and error.kind == "auth"
    assert "reconnect" in error.message
    for secret in ("refresh-0", "access-0", "csecret"):
        assert secret not in str(error) and secret not in repr(error.raw)


def test_invalid_client_is_a_configuration_problem():
    script = Script().on("POST", "/tokens/bearer", respond({"error": "invalid_client"}, 401))
    client, *_ = rig(script, fresh_tokens(expires_at=NOW))
    with pytest.raises(ConnectorError) as caught:
        client.get(API)
    assert caught.value.code == "platform_client_invalid" and caught.value.kind == "config"


def test_a_wrong_token_url_is_a_configuration_problem_not_a_revocation():
    script = Script().on("POST", "/tokens/bearer", respond({"detail": "Not Found"}, 404))
    client, *_ = rig(script, fresh_tokens(expires_at=NOW))
    with pytest.raises(ConnectorError) as caught:
        client.get(API)
    assert caught.value.code == "platform_auth_endpoint_invalid" and caught.value.kind == "config"


def test_token_endpoint_outage_is_transient():
    script = Script().on("POST", "/tokens/bearer", respond({}, 503, {"Retry-After": "5"}))
    client, *_ = rig(script, fresh_tokens(expires_at=NOW))
    with pytest.raises(ConnectorError) as caught:
        client.get(API)
    assert caught.value.kind == "transient" and caught.value.retry_after == 5


def test_no_stored_tokens_asks_for_a_connection():
    client, *_ = rig(Script(), None)
    with pytest.raises(ConnectorError) as caught:
        client.get(API)
    assert caught.value.code == "platform_auth_missing"


def test_failing_save_means_the_new_token_is_never_used():
    class BrokenStore(InMemoryTokenStore):
        def save(self, tokens):
            raise RuntimeError("database down")

    script = Script().on("GET", "/companyinfo/1", api_ok).on(
        "POST", "/tokens/bearer", token_answer("access-1", "refresh-1"))
    client, *_ = rig(script, None, store=BrokenStore(fresh_tokens(expires_at=NOW)))
    with pytest.raises(RuntimeError):
        client.get(API)
    assert script.calls("GET", "/companyinfo/1") == []


def test_tokens_never_appear_in_reprs():
    tokens = fresh_tokens("access-secret", "refresh-secret")
    store = InMemoryTokenStore(tokens)
    auth = OAuth2RefreshTokenAuth(token_url=TOKEN_URL, client_id="cid", client_secret="csecret", store=store)
    for text in (repr(tokens), repr(store), repr(auth)):
        assert "secret" not in text.replace("client_secret", "")
