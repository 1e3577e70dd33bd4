"""Sending e-mail through an SMTP relay.

`MailSender.send()` hands one `email.message.EmailMessage` to the relay, or raises
`MailDeliveryError`. The error says whether trying again later can help:

- permanent (`permanent=True`): the relay refused every recipient with a 5xx
  reply, refused the message content with a 5xx reply (too large, rejected), a
  message with several recipients was accepted for some and refused for others
  (sending it again would deliver it twice), or the message itself cannot be
  sent (no recipients, an international address the relay cannot take);
- temporary (`permanent=False`): the relay could not be reached, timed out,
  hung up or answered 4xx; or a configuration problem that hits every message
  alike: TLS failed, the relay refused our login or our sender address (other
  than 552, "too large"), or no sender is known (no From header, no
  MAIL_FROM). Such messages are kept until the relay or the configuration is
  fixed.

Addresses and content are never logged, and the error messages never carry
them; log lines name the message by its Message-ID only. Missing `From`, `Date`
and `Message-ID` headers are filled in on a copy; the caller's message is never
changed.
"""

import copy
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

logger = logging.getLogger(__name__)

_TRUE_WORDS = ("1", "true", "yes", "on")


class MailDeliveryError(Exception):
    """The relay did not take the message.

    `permanent` tells whether sending the same message again can ever work;
    `smtp_code` is the relay's reply code, when there was one.
    """

    def __init__(self, reason, *, permanent, smtp_code=None):
        super().__init__(reason)
        self.permanent = permanent
        self.smtp_code = smtp_code


class MailSender:
    """Sends e-mail through one SMTP relay, one connection per message.

    `use_tls` upgrades a plain connection with STARTTLS (usually port 587),
    `use_ssl` speaks TLS from the start (usually port 465); they exclude each
    other. `ssl_context` defaults to the system's trusted certificates with
    host name checking. `from_address` (like ``LMB <noreply@example.be>``) is
    the envelope sender and fills in a missing `From` header.
    """

    def __init__(
        self,
        host="localhost",
        port=None,
        *,
        use_tls=False,
        use_ssl=False,
        username=None,
        password=None,
        timeout=10.0,
        from_address=None,
        ssl_context=None,
        local_hostname=None,
    ):
        if use_tls and use_ssl:
            raise ValueError("use_tls (STARTTLS) and use_ssl exclude each other")
        if port is None:
            port = 465 if use_ssl else 587 if use_tls else 25
        self.host = host
        self.port = int(port)
        self.use_tls = bool(use_tls)
        self.use_ssl = bool(use_ssl)
        self.username = username or None
        self.password = password or ""
        self.timeout = float(timeout)
        self.from_address = from_address or None
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    @classmethod
    def from_config(cls, config):
        """Build a sender from a mapping with the MAIL_* settings.

        Keys: MAIL_HOST, MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME,
        MAIL_PASSWORD, MAIL_FROM, MAIL_TIMEOUT. Missing keys take the
        defaults of `__init__`; values may be strings, as read from the
        environment.
        """
        port = config.get("MAIL_PORT")
        timeout = config.get("MAIL_TIMEOUT")
        return cls(
            host=config.get("MAIL_HOST") or "localhost",
            port=int(port) if port not in (None, "") else None,
            use_tls=_flag(config.get("MAIL_USE_TLS")),
            use_ssl=_flag(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            timeout=float(timeout) if timeout not in (None, "") else 10.0,
            from_address=config.get("MAIL_FROM"),
        )

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` to the relay; raise `MailDeliveryError` if not."""
        if message["From"] is None and not self.from_address:
            raise self._failed(
                message["Message-ID"],
                "the message has no From header and MAIL_FROM is not set",
                permanent=False,
            )
        if not any(message.get_all(field) for field in ("To", "Cc", "Bcc")):
            raise self._failed(
                message["Message-ID"], "the message has no recipients", permanent=True
            )
        prepared = self._prepare(message)
        message_id = prepared["Message-ID"]
        envelope_from = parseaddr(str(prepared["From"]))[1]
        try:
            client = self._connect()
        except smtplib.SMTPResponseException as exc:
            raise self._failed(
                message_id,
                f"the mail relay refused the session ({exc.smtp_code})",
                permanent=False,
                smtp_code=exc.smtp_code,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failed(
                message_id,
                f"no session with the mail relay: {type(exc).__name__}",
                permanent=False,
            ) from exc
        try:
            refused = client.send_message(prepared, from_addr=envelope_from)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _reply in exc.recipients.values()]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise self._failed(
                message_id,
                f"the mail relay refused the recipient ({_codes(codes)})",
                permanent=permanent,
                smtp_code=max(codes) if codes else None,
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            # 552 at MAIL FROM is the SIZE extension saying "too large".
            raise self._failed(
                message_id,
                f"the mail relay refused the sender address ({exc.smtp_code})",
                permanent=exc.smtp_code == 552,
                smtp_code=exc.smtp_code,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise self._failed(
                message_id,
                f"the mail relay refused the message ({exc.smtp_code})",
                permanent=exc.smtp_code >= 500,
                smtp_code=exc.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise self._failed(
                message_id,
                "the message needs SMTPUTF8, which the mail relay does not offer",
                permanent=True,
            ) from None
        except ValueError as exc:
            raise self._failed(
                message_id, f"the message cannot be sent: {exc}", permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failed(
                message_id,
                f"the mail relay connection failed: {type(exc).__name__}",
                permanent=False,
            ) from exc
        finally:
            _close(client)
        if refused:
            raise self._failed(
                message_id,
                f"the mail relay refused {len(refused)} of the recipients and "
                "accepted the others",
                permanent=True,
                smtp_code=max(code for code, _reply in refused.values()),
            )
        logger.info("mail %s delivered to the relay", message_id)

    def _prepare(self, message):
        """A copy of `message` with From, Date and Message-ID present."""
        prepared = copy.deepcopy(message)
        if prepared["From"] is None:
            prepared["From"] = self.from_address
        if prepared["Date"] is None:
            prepared["Date"] = formatdate(localtime=True)
        if prepared["Message-ID"] is None:
            domain = parseaddr(str(prepared["From"]))[1].rpartition("@")[2]
            prepared["Message-ID"] = make_msgid(domain=domain or None)
        return prepared

    def _connect(self):
        """An open, greeted (and, as configured, encrypted and logged in) client."""
        context = self.ssl_context
        if context is None and (self.use_ssl or self.use_tls):
            context = ssl.create_default_context()
        if self.use_ssl:
            client = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=context,
            )
        else:
            client = smtplib.SMTP(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
            )
        try:
            client.ehlo()
            if self.use_tls:
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password)
        except BaseException:
            _close(client)
            raise
        return client

    def _failed(self, message_id, reason, *, permanent, smtp_code=None):
        logger.warning(
            "mail %s not delivered (%s): %s",
            message_id,
            "permanent" if permanent else "temporary",
            reason,
        )
        return MailDeliveryError(reason, permanent=permanent, smtp_code=smtp_code)


def from_config(config):
    """A `MailSender` from a mapping with the MAIL_* settings."""
    return MailSender.from_config(config)


def _flag(value):
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_WORDS
    return bool(value)


def _codes(codes):
    return ", ".join(str(code) for code in sorted(set(codes))) or "no code"


def _close(client):
    """Say QUIT if the relay still listens, then drop the connection."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
