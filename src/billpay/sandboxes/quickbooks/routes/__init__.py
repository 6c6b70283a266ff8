"""HTTP layer of the QuickBooks sandbox: parse, call ``QuickBooksState``, render."""

from .app import create_app

__all__ = ["create_app"]
