"""The LMB web application: the factory that builds it."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from app import compression, crypto, i18n, logs, metrics, rendering, security
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(overrides=None, environ=None):
    """Build the application; `overrides` replace settings (tests use it)."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.config.from_mapping(config.flask_config(environ, overrides))
    logs.configure(app)

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    crypto.configure(app.config["DATA_KEYS"], app.config["LOOKUP_HASH_KEY"])
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(config.BASE_DIR / "migrations"), render_as_batch=True
    )
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=lambda: "Europe/Brussels",
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # First of the after-request hooks, so it runs last, on the final body.
    compression.init_app(app)

    from app import models  # noqa: F401 - registers the tables
    from app.admin.views import bp as admin_bp
    from app.agent.views import bp as agent_bp
    from app.auth.oidc import bp as oidc_bp
    from app.auth.views import bp as auth_bp
    from app.centre.decline import bp as invitation_bp
    from app.centre.views import bp as centre_bp
    from app.citizen.views import bp as citizen_bp
    from app.cli import lmb_cli
    from app.dev.views import bp as dev_bp
    from app.doctor.views import bp as doctor_bp
    from app.errors import register_error_handlers
    from app.health.views import bp as health_bp
    from app.public.views import bp as public_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(citizen_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(centre_bp)
    app.register_blueprint(invitation_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(doctor_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(oidc_bp)
    if app.config["DEV_PAGES"]:
        app.register_blueprint(dev_bp)
    app.cli.add_command(lmb_cli)
    register_error_handlers(app)
    i18n.init_app(app)
    rendering.init_app(app)
    metrics.init_app(app)
    security.init_app(app)
    return app
