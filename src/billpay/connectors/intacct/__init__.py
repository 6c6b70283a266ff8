"""Sage Intacct connector (XML Web Services gateway)."""
