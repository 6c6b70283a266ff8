"""billpay: open-source, self-hostable Bill Pay with two-way accounting sync."""

__version__ = "0.1.0"
