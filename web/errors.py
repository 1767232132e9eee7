"""The one place engine errors become HTTP: NotFound 404, NotAllowed 403, Conflict 409, FormInvalid 422."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, OperationalError
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from engine import Conflict, EngineError, FormInvalid, NotAllowed, NotFound, ScriptFailed, SpecInvalid
from engine import EventRefused, FileMissing

from .refusals import TASK_STATE_REASONS, error_message

log = logging.getLogger(__name__)

# blueprints that answer in JSON (the API, and the pickers' look-ups that app.js reads)
JSON_BLUEPRINTS = ("api", "lookups")
STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, FormInvalid: 422, SpecInvalid: 422, ScriptFailed: 500,
          EventRefused: 422, FileMissing: 500}

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Not found"), _l("This page, task or request does not exist.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Someone was faster"), _l("This was changed by someone else before your action arrived. "
                                         "Nothing you typed was saved; it is shown below so you can copy it.")),
    413: (_l("Too large"), _l("What was sent is larger than this server accepts. Nothing was saved.")),
    422: (_l("Please check the input"), _l("Some values were not accepted.")),
    429: (_l("Too many attempts"), _l("Please wait a moment and try again.")),
    503: (_l("Back in a moment"), _l("The database cannot be reached just now. Nothing was changed; "
                                      "please try again in a few seconds.")),
    500: (_l("Something went wrong"), _l("The server could not finish this request. "
                                          "The process owner can see the error on the request's page.")),
}


def http_status(exc: EngineError) -> int:
    """The HTTP status for an engine error (views that re-render a form use this too)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _submitted() -> list[tuple[str, str]]:
    """What the user typed: the labelled values a view saved in `g`, else the raw form fields."""
    if "submitted" in g:
        return g.submitted
    return [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token" and v]


def _stale_task():
    task_id = g.get("stale_task_id")
    if task_id is None:
        return None
    from .engine_access import get_engine
    try:
        return get_engine().task(task_id)
    except NotFound:
        return None


SAME_USER = (_l("You already did this"),
             _l("You completed this task already, in another window or tab. This second submission was not "
                "saved; what it contained is shown below."))


def error_page(code: int, detail: str = "", technical: str = "", **context):
    title, message = PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    stale = context.get("stale")
    if code == 409 and stale is not None and current_user.is_authenticated \
            and stale.completed_by == current_user.username:
        title, message = SAME_USER  # not "someone was faster": it was the same person, twice
    submitted = _submitted() if request.method == "POST" else []
    return render_template("errors/error.html", code=code, title=title, message=message, detail=detail,
                           technical=technical, submitted=submitted, **context), code


def _json_error(code: int, error: str, message: str, **extra):
    """An API error: the engine's code, its reason code and holder, per-field messages for forms."""
    body = {"error": error, "message": message, **{k: v for k, v in extra.items() if v is not None}}
    body.setdefault("reason", None)
    response = jsonify(body)
    response.status_code = code
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        code = http_status(exc)
        if code >= 500:
            log.error("engine error on %s: %s", request.path, exc)
        if request.blueprint in JSON_BLUEPRINTS:
            # the API speaks to programs (the engine's English); the pickers to people, in their language
            message = exc.message if request.blueprint == "api" else (error_message(exc) or exc.message)
            return _json_error(code, exc.code, message, reason=exc.reason, holder=exc.holder,
                               fields=exc.by_field() if isinstance(exc, FormInvalid) else None)
        stale = _stale_task() if isinstance(exc, Conflict) else None
        if getattr(exc, "for_people", False):
            return error_page(code, exc.message, stale=stale)
        # The engine words its errors in English for logs and operators: shown folded, below the explanation.
        # Its reason code says the same in the user's language (unless the stale task's state says it already).
        detail = error_message(exc) or ""
        if stale is not None and exc.reason in TASK_STATE_REASONS:
            detail = ""
        return error_page(code, detail, technical=exc.message, stale=stale)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_page(400, str(_l("The form expired or did not come from this site. "
                                      "Reload the page and submit it again.")), csrf=True)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        from .uploads import too_large_text
        g.submitted = []  # the body is not read again to echo it: it is what was too large
        if request.blueprint == "api":
            return _json_error(413, "too_large", too_large_text())
        return error_page(413, too_large_text())

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if request.blueprint in JSON_BLUEPRINTS:
            return _json_error(exc.code, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
        return error_page(exc.code)

    @app.errorhandler(DBAPIError)
    def _database_unavailable(exc: DBAPIError):
        # The database is restarting or unreachable: say so, and when to try again, instead of a 500.
        if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
            raise exc
        log.warning("database unavailable on %s: %s", request.path, str(exc).splitlines()[0])
        if request.blueprint in JSON_BLUEPRINTS:
            response = _json_error(503, "unavailable", "the database is not reachable; try again shortly")
        else:
            response = make_response(error_page(503))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(500)
    def _server_error(exc):
        if request.blueprint in JSON_BLUEPRINTS:
            return _json_error(500, "internal", "the server could not finish this request")
        return error_page(500)
