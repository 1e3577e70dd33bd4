"""Who may see what: role checks for views, centre scoping, safe `next` links.

Put `@role_required(...)` on every staff view. Anonymous visitors are sent to
the log-in page with a `next` that is always a local path; logged-in users
without one of the roles get the 403 page. Operators act on every centre,
centre staff only on their own.
"""

import functools
import re

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.models import Role

MAX_NEXT_LENGTH = 2000
# Browsers drop tabs and newlines inside URLs and read "\" as "/", so
# "/\t/evil.example" or "/\\evil.example" would leave the site.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")

# Where each role starts after logging in: (endpoint, path if it does not exist).
ROLE_HOMES = {
    Role.CENTRE_STAFF: ("centre.index", "/centre/"),
    Role.OPERATOR: ("admin.index", "/admin/"),
    Role.MONITOR: ("admin.index", "/admin/"),
    Role.DOCTOR: ("doctor.index", "/doctor/"),
    Role.AGENT: ("agent.index", "/agent/"),
}


def safe_next(target):
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if _UNSAFE.search(target):
        return None
    return target


def local_path():
    """The current request's path and query, for a `next` link."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def role_home(user):
    endpoint, path = ROLE_HOMES.get(user.role, ("auth.login", "/staff/login"))
    if endpoint in current_app.view_functions:
        return url_for(endpoint)
    return path


def redirect_to_login():
    next_path = local_path() if request.method == "GET" else None
    return redirect(url_for("auth.login", next=safe_next(next_path)), 302)


def role_required(*roles):
    """Let only logged-in users with one of `roles` into the view."""
    unknown = set(roles) - set(Role.ALL)
    if not roles or unknown:
        raise ValueError(f"role_required needs known roles, got {roles!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect_to_login()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def centre_scope(user):
    """The id of the one centre `user` may act on, or None for every centre.

    Operators act on every centre; centre staff on their own; any other
    role on none (403).
    """
    if not getattr(user, "is_authenticated", False):
        abort(403)
    if user.role == Role.OPERATOR:
        return None
    if user.role == Role.CENTRE_STAFF and user.centre_id is not None:
        return user.centre_id
    abort(403)


def require_centre_access(user, centre_id):
    """Stop with 403 unless `user` may act on the centre `centre_id`."""
    scope = centre_scope(user)
    if scope is not None and scope != centre_id:
        abort(403)
