"""Chinese by default, English on request; every interface string has a Chinese translation."""
from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from tests.web.conftest import login, start_request
from web.i18n import TRANSLATIONS, ensure_compiled

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def extracted() -> set[str]:
    return {msg[2] if isinstance(msg[2], str) else msg[2][0]
            for msg in extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS)}


def catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_every_interface_string_is_translated_to_chinese():
    ids = extracted()
    assert len(ids) > 150
    zh = catalog("zh_CN")
    missing = sorted(i for i in ids if i not in zh or not zh[i].string)
    assert missing == [], "run pybabel update and translate: %s" % missing
    en = catalog("en")
    assert sorted(i for i in ids if i not in en) == []
    singular = {m.id: m.id[0] if isinstance(m.id, tuple) else m.id for m in zh if m.id}  # plurals: (one, many)
    stale = sorted(one for one in singular.values() if one not in ids)
    assert stale == [], "messages no longer used: %s" % stale


def test_chinese_by_default(client):
    page = client.get("/login").text
    assert '<html lang="zh-CN">' in page and "<h1>登录</h1>" in page and 'lang="en"' in page


def test_language_link_switches_and_survives_sign_in(client):
    response = client.get("/language/en?next=/login")
    assert response.status_code == 302 and response.location == "/login"
    assert "<h1>Sign in</h1>" in client.get("/login").text
    login(client, "alice")
    page = client.get("/inbox").text
    assert '<html lang="en">' in page and "My tasks" in page
    client.get("/language/zh_CN")
    assert "我的待办" in client.get("/inbox").text
    client.get("/language/xx")  # unknown: ignored
    assert "我的待办" in client.get("/inbox").text
    assert client.get("/language/en?next=https://evil.example/").location == "/inbox"


def test_dates_follow_the_language(client, web_engine):
    inst = start_request(web_engine)
    login(client, "alice")
    assert "2026年11月23日 09:00:00" in client.get(f"/requests/{inst.id}").text  # Beijing time
    client.get("/language/en")
    assert "Nov 23, 2026, 9:00:00\u202fAM" in client.get(f"/requests/{inst.id}").text


def test_field_messages_in_both_languages(client):
    login(client, "alice")
    assert "此项为必填项。" in client.post("/start/small_approval", data={}).text
    client.get("/language/en")
    assert "This field is required." in client.post("/start/small_approval", data={}).text


def test_catalogs_compile_when_missing(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = ensure_compiled(copy)
    assert sorted(p.relative_to(copy).as_posix() for p in written) == [
        "en/LC_MESSAGES/messages.mo", "zh_CN/LC_MESSAGES/messages.mo"]
    assert ensure_compiled(copy) == []  # up to date: nothing to do
