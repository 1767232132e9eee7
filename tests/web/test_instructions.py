"""Task instructions: BPMN documentation rendered in Jinja2's sandbox, data escaped, failures shown as text."""
from __future__ import annotations

import time

from markupsafe import escape

from web.instructions import render

NOTE = "could not be filled in"


def shown_as_written(out, template: str) -> bool:
    """A failed template: the note, then the text itself, escaped, never run."""
    text = str(out)
    return NOTE in text and text.endswith(f'<pre class="plain">{escape(template)}</pre>')


def test_renders_data_and_escapes_it():
    out = render("审批 {{ customer }} 的申请，金额 {{ amount }}。", {"customer": "<b>宏达</b>", "amount": 5})
    assert str(out) == "<p>审批 &lt;b&gt;宏达&lt;/b&gt; 的申请，金额 5。</p>"


def test_sandbox_refuses_unsafe_things():
    assert str(render("x{{ customer.__class__ }}y", {"customer": "a"})) == "<p>xy</p>"
    template = "{{ customer.__class__.__mro__[1].__subclasses__() }}"
    assert shown_as_written(render(template, {"customer": "a"}), template)  # refused: shown, never run
    assert shown_as_written(render("{{ range(10**9) | list | length }}", {}), "{{ range(10**9) | list | length }}")


def test_a_template_that_would_run_for_ever_is_stopped(monkeypatch):
    monkeypatch.setenv("APPROVALS_SCRIPT_SECONDS", "1")
    template = "{% for i in range(99999) %}{% for j in range(99999) %}{{ i }}{% endfor %}{% endfor %}"
    began = time.monotonic()
    out = render(template, {})
    assert time.monotonic() - began < 2.5
    assert shown_as_written(out, template)
    assert shown_as_written(render("{{ 'a' * 10**10 }}", {}), "{{ 'a' * 10**10 }}")


def test_broken_template_is_shown_as_escaped_text():
    assert shown_as_written(render("{% if %}<i>", {}), "{% if %}<i>")
    assert str(render("", {"a": 1})) == ""
    assert str(render("{{ missing }}!", {})) == "<p>!</p>"


def test_dates_in_the_data_read_in_the_users_locale(app):
    with app.test_request_context():
        html = str(render("参观时间：{{ tour_start }}；人数 {{ visitors }}",
                          {"tour_start": "2026-11-27T09:00:00+08:00", "visitors": 6}))
    assert "2026-11-27T" not in html and "2026" in html and "9:00" in html and "人数 6" in html


def test_markdown_is_rendered_and_html_that_could_run_is_not():
    html = str(render("**注意**：\n\n- 核对 {{ customer }}\n- [制度](https://example.com/rules)", {"customer": "宏达"}))
    assert "<strong>注意</strong>" in html and "<li>核对 宏达</li>" in html
    assert '<a href="https://example.com/rules" rel="noopener noreferrer">制度</a>' in html
    attacks = ('<img src=x onerror="alert(1)">', '<meta http-equiv="refresh" content="0;url=https://evil">',
               '<a href="javascript:alert(1)">点我</a>', "<script>alert(1)</script>", '<iframe src="https://evil">',
               '<p style="position:fixed">x</p>', "[点我](javascript:alert(1))")
    for attack in attacks:
        out = str(render(attack, {})).lower()
        for bad in ("onerror", "<meta", "javascript:", "<script", "<iframe", "style=", "<img"):
            assert bad not in out, (attack, out)
