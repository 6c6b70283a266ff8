"""HTTP layer of the Business Central sandbox: parse, call ``BusinessCentralState``, render."""

from .app import create_app

__all__ = ["create_app"]
