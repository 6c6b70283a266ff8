"""Secrets at rest (bank details, platform credentials, tokens) and password hashing."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()


class Vault:
    """Authenticated encryption (Fernet) keyed from ``BILLPAY_SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(("billpay-vault:" + secret_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._mac_key = hashlib.sha256(("billpay-mac:" + secret_key).encode()).digest()

    def encrypt(self, value: dict | str) -> str:
        raw = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        return self._fernet.encrypt(raw.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with this BILLPAY_SECRET_KEY") from None

    def decrypt_json(self, token: str | None) -> dict:
        return json.loads(self.decrypt(token)) if token else {}

    def sign(self, data: bytes) -> str:
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hash_: str | None, password: str) -> bool:
    if not hash_:
        return False
    try:
        return _hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
