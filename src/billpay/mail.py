"""Outgoing mail through an SMTP relay (``BILLPAY_MAIL_HOST``). Sent after commit, never inside a transaction."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

log = logging.getLogger("billpay.mail")


class Mailer:
    def __init__(self, host: str, port: int = 25, sender: str = "billpay@localhost", timeout: float = 10) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, to: list[str], subject: str, body: str) -> bool:
        """Deliver one message; a relay that is down is logged, not raised (the audit trail keeps the notice)."""
        if not to:
            return False
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, ", ".join(to), subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(msg)
            return True
        except (OSError, smtplib.SMTPException) as e:
            log.warning("could not send %r to %d recipient(s): %s", subject, len(to), type(e).__name__)
            return False
