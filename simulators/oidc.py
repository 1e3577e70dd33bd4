"""Simulator of an OpenID Connect identity provider for doctors.

Run it with ``python -m simulators.oidc --host 127.0.0.1 --port 5104``. It is
a small but real provider of the authorization code flow, enough to test
LMB's optional doctor log-in (app/auth/oidc.py) end to end:

    GET  /.well-known/openid-configuration   discovery
    GET  /authorize     checks the client, redirect address, scope and PKCE
                        challenge, then approves at once for the configured
                        user (no log-in screen) and redirects back with a code
    POST /token         code -> access token and an ID token signed RS256
                        (client_secret_basic or client_secret_post; the code
                        works once, within 60 s, with its PKCE verifier)
    GET  /jwks          the public signing key
    GET  /userinfo      the user's claims, for the bearer access token

Controls, which a real provider does not have: GET /_sim/health, and POST
/_sim/user with a JSON object that replaces the user's claims (``sub`` is
required; ``id_token_claims`` lists the claims also put in the ID token, by
default all of them), POST /_sim/reset.

The user starts as ``--sub`` with the RIZIV/INAMI number ``--riziv`` in the
claim ``--riziv-claim``. The signing key is made at start and lives in
memory; every answer is JSON, and the access log shows no query strings.
"""

import argparse
import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey

from simulators import serve

logger = logging.getLogger("simulators.oidc")

CODE_SECONDS = 60
TOKEN_SECONDS = 300


class Provider:
    """The provider's state: its key, its one client, the user, open codes."""

    def __init__(self, issuer, client_id, client_secret, redirect_uris, user):
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris  # empty: any http(s) address
        self.initial_user = dict(user)
        self.user = dict(user)
        self.key = RSAKey.generate_key(
            2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True
        )
        self.codes = {}
        self.tokens = {}
        self.lock = threading.Lock()

    def reset(self):
        with self.lock:
            self.user = dict(self.initial_user)
            self.codes.clear()
            self.tokens.clear()

    def claims(self):
        return {k: v for k, v in self.user.items() if k != "id_token_claims"}

    def id_token(self, grant, access_token):
        now = int(time.time())
        user = self.claims()
        shown = self.user.get("id_token_claims")
        extra = {
            k: v
            for k, v in user.items()
            if k != "sub" and (shown is None or k in shown)
        }
        claims = {
            **extra,
            "iss": self.issuer,
            "sub": user["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "auth_time": grant["at"],
            "at_hash": half_hash(access_token),
        }
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        header = {"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.key)


def half_hash(value):
    """at_hash: the left half of the SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def error(code, description, status=400):
    return jsonify(error=code, error_description=description), status


def create_app(provider):
    app = Flask(__name__)

    @app.get("/_sim/health")
    def health():
        return jsonify(status="ok")

    @app.post("/_sim/user")
    def set_user():
        user = request.get_json(silent=True)
        if not isinstance(user, dict) or not isinstance(user.get("sub"), str):
            return error("invalid_request", "a JSON object with a sub is needed")
        with provider.lock:
            provider.user = user
        return jsonify(status="ok")

    @app.post("/_sim/reset")
    def reset():
        provider.reset()
        return jsonify(status="ok")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = provider.issuer
        return jsonify(
            issuer=base,
            authorization_endpoint=f"{base}/authorize",
            token_endpoint=f"{base}/token",
            userinfo_endpoint=f"{base}/userinfo",
            jwks_uri=f"{base}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "profile"],
            token_endpoint_auth_methods_supported=[
                "client_secret_basic",
                "client_secret_post",
            ],
            code_challenge_methods_supported=["S256"],
            grant_types_supported=["authorization_code"],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(keys=[provider.key.as_dict(private=False)])

    @app.get("/authorize")
    def authorize():
        args = request.args
        if args.get("client_id") != provider.client_id:
            return error("invalid_client", "unknown client")
        redirect_uri = args.get("redirect_uri", "")
        allowed = provider.redirect_uris
        if (allowed and redirect_uri not in allowed) or not redirect_uri.startswith(
            ("http://", "https://")
        ):
            return error("invalid_request", "redirect_uri not registered")
        # From here on, errors go back to the client.
        state = args.get("state")

        def back(**params):
            if state is not None:
                params["state"] = state
            separator = "&" if "?" in redirect_uri else "?"
            return redirect(redirect_uri + separator + urlencode(params), 302)

        if args.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in args.get("scope", "").split():
            return back(error="invalid_scope")
        challenge = args.get("code_challenge")
        if challenge and args.get("code_challenge_method") != "S256":
            return back(error="invalid_request")
        code = secrets.token_urlsafe(24)
        with provider.lock:
            provider.codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": args.get("nonce"),
                "challenge": challenge,
                "at": int(time.time()),
                "scope": args.get("scope"),
            }
        logger.info("approved an authorization request")
        return back(code=code)

    @app.post("/token")
    def token():
        client_id, client_secret = _client_credentials()
        if client_id != provider.client_id or not hmac.compare_digest(
            (client_secret or "").encode(), provider.client_secret.encode()
        ):
            return error("invalid_client", "client authentication failed", 401)
        if request.form.get("grant_type") != "authorization_code":
            return error("unsupported_grant_type", "only authorization_code")
        with provider.lock:
            grant = provider.codes.pop(request.form.get("code", ""), None)
        if grant is None or time.time() - grant["at"] > CODE_SECONDS:
            return error("invalid_grant", "unknown, used or expired code")
        if request.form.get("redirect_uri") != grant["redirect_uri"]:
            return error("invalid_grant", "redirect_uri differs")
        if grant["challenge"]:
            verifier = request.form.get("code_verifier", "")
            if pkce_challenge(verifier) != grant["challenge"]:
                return error("invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(32)
        with provider.lock:
            provider.tokens[access_token] = time.time() + TOKEN_SECONDS
        logger.info("issued tokens")
        return jsonify(
            access_token=access_token,
            token_type="Bearer",
            expires_in=TOKEN_SECONDS,
            scope=grant["scope"],
            id_token=provider.id_token(grant, access_token),
        )

    @app.get("/userinfo")
    def userinfo():
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        expires = provider.tokens.get(value) if scheme.lower() == "bearer" else None
        if expires is None or expires < time.time():
            return error("invalid_token", "unknown or expired access token", 401)
        return jsonify(provider.claims())

    return app


def _client_credentials():
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m simulators.oidc",
        description="OpenID Connect identity provider simulator.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5104)
    parser.add_argument("--issuer", help="default: http://HOST:PORT")
    parser.add_argument("--client-id", default="lmb")
    parser.add_argument("--client-secret", default="lmb-oidc-development-secret")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="a registered redirect address (repeatable; none: accept any)",
    )
    parser.add_argument("--sub", default="doctor-1")
    parser.add_argument("--name", default="Dr. Test")
    parser.add_argument("--riziv", default="10000000000")
    parser.add_argument("--riziv-claim", default="nihii")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    issuer = (args.issuer or f"http://{args.host}:{args.port}").rstrip("/")
    user = {"sub": args.sub, "name": args.name, args.riziv_claim: args.riziv}
    provider = Provider(
        issuer, args.client_id, args.client_secret, args.redirect_uri, user
    )
    serve(create_app(provider), args.host, args.port)


if __name__ == "__main__":
    main()
