"""The ``billpay`` command."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .connectors import registry

app = typer.Typer(help="billpay: open-source Bill Pay with two-way accounting sync.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
storage_app = typer.Typer(help="Document storage (BILLPAY_STORAGE).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(storage_app, name="storage")
secrets_app = typer.Typer(help="Secrets at rest.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _container():
    from .bootstrap import build

    return build()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from .db.migrate import upgrade

    c = _container()
    upgrade(c.settings.resolved_database_url)
    typer.echo("database is up to date")


@storage_app.command("import-local")
def storage_import_local() -> None:
    """Copy the documents in this machine's data dir into the configured shared storage (idempotent)."""
    from .storage import LocalFallback, LocalStorage, copy_local

    c = _container()
    target = c.storage.primary if isinstance(c.storage, LocalFallback) else c.storage
    if isinstance(target, LocalStorage):
        typer.echo("BILLPAY_STORAGE is local: documents already live in the data dir", err=True)
        raise typer.Exit(2)
    report = copy_local(LocalStorage(c.settings.data_dir / "files"), target)
    typer.echo(json.dumps({"copied": report.copied, "already_there": report.already_there,
                           "damaged": report.damaged}))
    if report.damaged:
        raise typer.Exit(1)


@secrets_app.command("rotate")
def secrets_rotate(new_key: Optional[str] = typer.Option(None, "--new-key", help="At least 32 characters; "
                                                           "made up when left out")) -> None:
    """Re-encrypt every secret at rest under a new key, in one transaction.

    The old key is the current one (BILLPAY_SECRET_KEY, or the key file in the data dir). A key file is
    replaced by the new key; a key from the environment must then be replaced there: the new key is printed.
    Signed-in sessions end (their cookies were signed with the old key)."""
    import secrets as pysecrets

    from .crypto import Vault
    from .services.secrets_rotation import rotate

    c = _container()
    old = c.settings.resolved_secret_key
    new = new_key or pysecrets.token_urlsafe(48)
    if len(new) < 32 or new == old:
        typer.echo("the new key must be at least 32 characters and differ from the old one", err=True)
        raise typer.Exit(2)
    try:
        with c.sessionmaker() as s, s.begin():
            counts = rotate(s, Vault(old), Vault(new))
    except ValueError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from None
    out = {"re_encrypted": counts}
    if c.settings.secret_key:
        out["set"] = {"BILLPAY_SECRET_KEY": new}
    else:
        path = c.settings.data_dir / "secret.key"
        path.write_text(new)
        path.chmod(0o600)
        out["key_file"] = str(path)
    typer.echo(json.dumps(out))


@org_app.command("create")
def org_create(name: str = typer.Option(..., "--name"), admin_email: str = typer.Option(..., "--admin-email"),
               admin_password: Optional[str] = typer.Option(None, "--admin-password")) -> None:
    """Create an organization and its first admin; prints {"organization_id", "user_id", "api_key"}."""
    from .domain.errors import BillPayError
    from .services.orgs import create_organization

    c = _container()
    try:
        with c.sessionmaker() as s, s.begin():
            out = create_organization(s, c.vault, name=name, admin_email=admin_email, admin_password=admin_password)
    except BillPayError as e:
        typer.echo(json.dumps({"code": e.code, "detail": e.detail}), err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps({"organization_id": out.organization_id, "user_id": out.user_id, "api_key": out.api_key}))


def _serve(host: str, port: int, *, jobs: bool) -> None:
    import uvicorn

    from .web.app import create_app

    _logging()
    c = _container()
    start_jobs = jobs and c.settings.inprocess_worker
    if c.settings.smtp_enabled:
        try:
            from .capture.inbox import start_smtp_receiver
            start_smtp_receiver(c)
        except ImportError:
            pass
    if not start_jobs:
        from . import jobs

        jobs.configure(c)  # no consumer here, but commits still wake the separate workers at once
    uvicorn.run(create_app(c, start_jobs=start_jobs), host=host, port=port, log_level="info",
                proxy_headers=False)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web app and API; jobs run in-process unless BILLPAY_INPROCESS_WORKER=false."""
    _serve(host, port, jobs=True)


@app.command()
def worker(threads: int = typer.Option(2, help="worker threads")) -> None:
    """Run a background worker (any number may run; with BILLPAY_REDIS_URL, on any machine)."""
    from .jobs import run_worker

    _logging()
    c = _container()
    typer.echo(f"billpay worker: {threads} thread(s), queue in "
               f"{'Redis' if c.settings.redis_url else c.settings.data_dir / 'queue.sqlite3'}")
    run_worker(c, workers=threads)


@app.command()
def status() -> None:
    """Print what to watch on a deployment as JSON: jobs due, waiting and running by kind, sync lag, daily pulls
    overdue, payments due, and requests and 429s per platform."""
    from .sync import watch

    c = _container()
    try:
        typer.echo(json.dumps(watch.snapshot(c), indent=2))
    finally:
        c.close()


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000, serve_after: bool = typer.Option(True, "--serve/--no-serve"),
         platform: Optional[str] = typer.Option(None, help="the built-in sandbox the demo connects to "
                                                "(default: the first platform that has one)")) -> None:
    """Migrate, seed the demo organization (connected to a built-in sandbox; the others are one click away on
    the Connections page), then serve."""
    from .db.migrate import upgrade
    from .demo import seed_demo

    c = _container()
    if not c.settings.allowed_platform_hosts:  # the demo's sandboxes (`billpay sandbox ...`) run on loopback
        c.settings.allowed_platform_hosts = "127.0.0.1,localhost"
    upgrade(c.settings.resolved_database_url)
    info = seed_demo(c, public_url=f"http://{host}:{port}", platform=platform)
    typer.echo("")
    typer.echo("  billpay demo is ready")
    typer.echo(f"  open      http://{host}:{port}/")
    typer.echo(f"  sign in   {info['email']}  /  {info['password']}")
    typer.echo(f"  API key   {info['api_key']}")
    typer.echo(f"  try       curl -H 'Authorization: Bearer {info['api_key']}' http://{host}:{port}/api/v1/bills")
    typer.echo("")
    if serve_after:
        _serve(host, port, jobs=True)


@app.command()
def extract(file: Path = typer.Argument(..., exists=False), as_json: bool = typer.Option(False, "--json")) -> None:
    """Run extraction on one file and print the fields with their confidence."""
    from .capture.extraction import cli_payload, extract_document

    if not file.is_file():
        typer.echo(f"error: {file} is not a readable file", err=True)
        raise typer.Exit(2)
    result = extract_document(file.read_bytes(), file.name)
    payload = cli_payload(result)
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for k, v in payload.items():
            if isinstance(v, dict) and "value" in v:
                typer.echo(f"{k:16} {str(v['value']):40} {v.get('confidence', '')}")
            elif k == "lines":
                typer.echo(f"{'lines':16} {len(v)} item(s)")
            else:
                typer.echo(f"{k:16} {v}")
    if result.status == "rejected":
        raise typer.Exit(1)


@app.command()
def sandbox(platform: str = typer.Argument(..., help=" | ".join(p.name for p in registry.plugins()
                                                                  if p.sandbox_server)),
            port: int = typer.Option(0, help="port (0 picks a free one)"), host: str = "127.0.0.1") -> None:
    """Run one platform's sandbox as its own server; the first stdout line is the JSON to connect to it."""
    try:
        plugin = registry.get(platform)
        plugin.run_sandbox_server(host=host, port=port)
    except LookupError as e:
        typer.echo(json.dumps({"error": "sandbox_not_available", "detail": str(e)}), err=True)
        raise typer.Exit(2) from None


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
