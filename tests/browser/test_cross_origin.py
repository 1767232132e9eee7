"""A page on another site cannot drive the API from a signed-in browser: it can post forms and no-cors
fetches, never an application/json body, and the API takes nothing else."""
from __future__ import annotations

import base64
import http.server
import os
import threading

from tests.browser.conftest import LiveServer
from tests.conftest import DATA, build_engine
from web import create_app

WEB_USERS = DATA / "web_users.yaml"


class AttackerSite:
    """Another origin (another port) serving one page that fires at the API as soon as it loads."""

    def __init__(self, html: str):
        body = html.encode("utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_cross_origin_post_completes_nothing(browser, tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", None, WEB_USERS, DATA / "forms")
    engine.deploy_paths([DATA / "approval.bpmn"], "owen")
    inst = engine.start("small_approval", "alice", {"customer": "宏达", "amount": 5})
    [task] = engine.open_tasks(inst.id)
    app = create_app({"ENGINE": engine, "SECRET_KEY": os.urandom(16).hex(), "WTF_CSRF_ENABLED": True})
    with LiveServer(app) as server:
        api = f"{server.url}/api/v1/tasks/{task.id}"
        html = f"""<!doctype html><html><body>
<form id="plain" method="post" action="{api}/complete" enctype="text/plain" target="sink">
  <input name='{{"data": {{"decision": "approve"}}, "x": "' value='"}}'></form>
<form id="url" method="post" action="{api}/claim" target="sink2"><input name="reason" value="x"></form>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<script>
  fetch("{api}/claim", {{method: "POST", mode: "no-cors", credentials: "include",
                         headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}})
    .finally(() => {{ document.getElementById("plain").submit(); document.getElementById("url").submit();
                      setTimeout(() => document.title = "done", 1500); }});
</script></body></html>"""
        # The API sends no Basic challenge, so a browser never learns credentials for it. The strongest case
        # for the attacker anyway: bob's browser sends his credentials with every request it makes.
        token = base64.b64encode(b"bob:pw-bob").decode()
        context = browser.new_context(extra_http_headers={"Authorization": f"Basic {token}"})
        page = context.new_page()
        assert page.goto(f"{server.url}/api/v1/me").ok
        with AttackerSite(html) as attacker:
            page.goto(attacker.url)
            page.wait_for_function("document.title === 'done'", timeout=15000)
        after = engine.task(task.id)
        assert after.status == "open" and after.assignee is None
        assert engine.instance(inst.id).status == "running"
        # the same credentials with a JSON body, as a script or integration sends it, do work
        claimed = page.request.post(f"{api}/claim", data={})
        assert claimed.status == 200 and engine.task(task.id).assignee == "bob"
        context.close()
    engine.sa_engine.dispose()
