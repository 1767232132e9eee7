"""What people who are not auditors read, in zh_CN: no group ids, raw timestamps, element ids or English
status words on any page they open."""
from __future__ import annotations

import re

from tests.web.conftest import login, open_task, start_request

RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
STATUS_WORDS = re.compile(r"\b(running|completed|cancelled|waiting|open|error|step_completed|notified)\b")
ELEMENT_IDS = ("manager_approval", "gm_approval", "prepare", "end_done", "lane_staff")


def visible(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_pages_read_in_plain_words(client, web_engine, clock):
    first = start_request(web_engine)
    second = start_request(web_engine, customer="乙公司")
    manager = open_task(web_engine, first.id, "manager_approval")
    web_engine.complete(manager.id, "bob", {"decision": "approve", "comment": "同意"})
    web_engine.cancel(second.id, "alice", "客户取消")
    pages = {"alice": ["/inbox", "/inbox?tab=mine", "/inbox?tab=group", "/inbox?tab=done", "/requests/",
                       f"/requests/{first.id}", f"/requests/{second.id}", "/start/", "/start/small_approval"],
             "bob": ["/inbox", "/inbox?tab=done", f"/requests/{first.id}", f"/tasks/{manager.id}"],
             "gina": ["/inbox", f"/tasks/{open_task(web_engine, first.id, 'gm_approval').id}"]}
    problems = []
    for user, urls in pages.items():
        client.get("/logout")
        login(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
            text = visible(response.text)
            for found in ["group:"] * ("group:" in text) + RAW_ISO.findall(text) + STATUS_WORDS.findall(text) \
                    + [e for e in ELEMENT_IDS if e in text]:
                problems.append(f"{user} {url}: {found}")
    assert not problems, "\n".join(problems)


def test_the_detectors_catch_what_they_look_for():
    page = visible('<p>group:cs_staff <time datetime="x">2026-11-23T01:00:00+00:00</time> running manager_approval</p>')
    assert "group:" in page and RAW_ISO.findall(page) and STATUS_WORDS.findall(page) == ["running"]
    assert visible('<a href="/x?tab=group:y" title="running">甲</a>').strip() == "甲"  # attributes are not read
