"""Tests of the local platform sandboxes (billpay.sandboxes)."""
