"""The client's address, as far as the deployment lets us trust it."""

from flask import request


def client_address():
    """Address of the client; ProxyFix has already applied X-Forwarded-For when
    PROXY_COUNT is set, so this is never taken from a header we do not trust."""
    return request.remote_addr or "unknown"
