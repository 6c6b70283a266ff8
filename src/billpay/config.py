"""Settings from ``BILLPAY_*`` environment variables, with safe defaults."""
from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLPAY_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    # Encrypts secrets at rest and signs sessions. When unset, a random key is
    # created once in the data dir (never a built-in constant).
    secret_key: str | None = Field(default=None, repr=False)
    # Jobs run inside ``serve`` unless a separate worker is configured.
    inprocess_worker: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_enabled: bool = True
    inbox_domain: str = "inbox.billpay.localhost"
    public_url: str = "http://127.0.0.1:8000"
    # Outgoing notifications (bank-detail changes…) go through this SMTP relay when set.
    mail_host: str | None = None
    mail_port: int = 25
    mail_from: str = "billpay@localhost"
    max_upload_bytes: int = 25 * 1024 * 1024
    # Where original files live: "local" (data dir), "database" (PostgreSQL) or "s3://bucket/prefix".
    # Unset: "database" when the database is PostgreSQL (every process reaches it), else "local".
    storage: str | None = None
    s3_endpoint_url: str | None = None  # an S3-compatible server other than AWS (MinIO, Ceph...)
    login_rate_limit: int = 10  # failed attempts per 15 minutes per email+IP
    # A connection's sync lease lives this long without a heartbeat; a dead worker is replaced after it.
    sync_lease_seconds: float = 15.0
    sync_heartbeat_seconds: float = 3.0
    # Hosts a connection may point at besides the platforms' official ones (comma-separated names or
    # addresses); loopback sandboxes need "127.0.0.1,localhost". Private addresses are refused otherwise.
    allowed_platform_hosts: str = ""
    # A worker's turn with one connection ends after this long (then the least recently served goes next).
    sync_turn_seconds: float = 5.0
    # Waits inside a platform's limits up to this long are slept; longer back-offs hand the work back for later.
    sync_max_wait_seconds: float = 2.0
    # Other jobs (document reading) of one organization running at once, over all workers.
    org_job_concurrency: int = 2
    # ``GET /metrics`` (Prometheus) answers only ``Authorization: Bearer <this token>``; unset: no /metrics.
    metrics_token: str | None = Field(default=None, repr=False)

    @field_validator("secret_key")
    @classmethod
    def _strong_key(cls, v: str | None) -> str | None:
        if v is not None and len(v) < 32:
            raise ValueError("BILLPAY_SECRET_KEY must be at least 32 characters")
        return v

    @field_validator("storage")
    @classmethod
    def _storage_choice(cls, v: str | None) -> str | None:
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        if v.lower() in ("local", "database"):
            return v.lower()
        if v.startswith("s3://") and len(v) > len("s3://") and not v[len("s3://"):].startswith("/"):
            return v
        raise ValueError("BILLPAY_STORAGE must be local, database or s3://bucket/prefix")

    @property
    def resolved_storage(self) -> str:
        if self.storage:
            return self.storage
        return "database" if self.resolved_database_url.startswith("postgresql") else "local"

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'billpay.sqlite3').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def files_dir(self) -> Path:
        p = self.data_dir / "files"
        p.mkdir(parents=True, exist_ok=True)
        return p
