"""Sign-in and sign-out (Flask-Login), the language switch, and the rule that every page needs a user."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from .engine_access import get_engine
from .throttle import LoginThrottle

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "auth.language", "static", "health.healthz", "metrics.metrics"}


class WebUser(UserMixin):
    """The signed-in person as the pages need them: username, display name, groups."""

    def __init__(self, username: str, name: str, groups: tuple[str, ...], session_epoch: int = 0):
        self.username, self.name, self.groups = username, name, tuple(groups)
        self.session_epoch = session_epoch

    def get_id(self) -> str:
        # the session names the epoch it was made in: signing out or a new password bumps the user's
        # epoch, and every session made before stops working, wherever its cookie was copied to
        return f"{self.username}:{self.session_epoch}"

    def in_group(self, *groups: str) -> bool:
        return any(g in self.groups for g in groups)

    @property
    def oversees(self) -> tuple[str, ...]:
        """The groups whose open work this person oversees (the directory's `oversees`), read once a request."""
        if "_oversees" not in g:
            g._oversees = get_engine().overseen_groups(self.username)
        return g._oversees

    @property
    def is_auditor(self) -> bool:
        """Auditors read everything and act on nothing."""
        return "auditor" in self.groups


def _load_user(session_id: str) -> WebUser | None:
    username, _sep, epoch = session_id.rpartition(":")
    view = get_engine().user(username) if username else None
    if view is None or not view.active or str(view.session_epoch) != epoch:
        return None
    return WebUser(view.username, view.name, view.groups, view.session_epoch)


# The throttle's user name for failed tokens: they are counted per address (a token names no user).
TOKEN_THROTTLE_NAME = "(api token)"


def _load_api_user(req) -> WebUser | None:
    """A personal access token (`Authorization: Bearer ...`) or HTTP Basic credentials, for /api/ only (pages
    use the session, so a token never signs anyone in to a page)."""
    if not req.path.startswith("/api/") or req.authorization is None:
        return None
    if req.authorization.type == "bearer":
        return _token_user(req.authorization.token or "", req.remote_addr)
    if req.authorization.type != "basic":
        return None
    username, password = req.authorization.username or "", req.authorization.password or ""
    key = LoginThrottle.key(username, req.remote_addr)
    wait = throttle().retry_after(key)
    if wait:
        g.api_retry_after = wait
        return None
    user = get_engine().authenticate(username, password) if username and password else None
    if user is None:
        g.api_retry_after = throttle().failed(key) or None
        return None
    throttle().succeeded(key)
    return WebUser(user.username, user.name, user.groups)


def _token_user(token: str, address: str | None) -> WebUser | None:
    """The token's user. A valid token costs a sha256 and a look-up, and no throttle query; a wrong, revoked or
    expired one counts as a failed sign-in from its address (429 with Retry-After once that address is locked)."""
    user = get_engine().authenticate_token(token)
    if user is not None:
        return WebUser(user.username, user.name, user.groups)
    g.api_token_refused = True
    key = LoginThrottle.key(TOKEN_THROTTLE_NAME, address)
    g.api_retry_after = throttle().retry_after(key) or throttle().failed(key) or None
    return None


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    manager.user_loader(_load_user)
    manager.login_view = "auth.login"
    manager.session_protection = "basic"
    manager.request_loader(_load_api_user)
    app.extensions["approvals.login_throttle"] = LoginThrottle(
        free=app.config["LOGIN_FREE_FAILURES"], base=app.config["LOGIN_LOCK_SECONDS"],
        cap=app.config["LOGIN_LOCK_MAX_SECONDS"])

    @manager.unauthorized_handler
    def _unauthorized():
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def throttle() -> LoginThrottle:
    return current_app.extensions["approvals.login_throttle"]


@bp.before_app_request
def _require_user():
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated or request.blueprint == "api":
        return None  # the API answers 401 itself
    return current_app.login_manager.unauthorized()


def safe_next(target: str | None, fallback: str) -> str:
    """Only local paths: a `next` pointing at another site would make the login page an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("inbox.home"))
    if request.method == "GET":
        return render_template("auth/login.html", username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    key = LoginThrottle.key(username, request.remote_addr)
    wait = throttle().retry_after(key)
    if wait:
        error = _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=wait)
        return render_template("auth/login.html", username=username, error=error), 429
    user = get_engine().authenticate(username, password) if username and password else None
    if user is None:
        locked = throttle().failed(key)
        if locked:
            error = _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=locked)
            return render_template("auth/login.html", username=username, error=error), 429
        error = _("Unknown user name or wrong password.")
        return render_template("auth/login.html", username=username, error=error), 401
    throttle().succeeded(key)
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: nothing planted before it survives
    if lang:
        session["lang"] = lang
    login_user(WebUser(user.username, user.name, user.groups, user.session_epoch))
    session.permanent = True
    return redirect(safe_next(request.args.get("next"), url_for("inbox.home")))  # where the role starts


@bp.route("/logout", methods=["POST"])
def logout():
    lang = session.get("lang")
    if current_user.is_authenticated:
        get_engine().end_sessions(current_user.username)  # a copied cookie stops working too
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>")
def language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("inbox.index")))
