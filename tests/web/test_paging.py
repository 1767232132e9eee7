"""Long lists page by keyset in the database: a link names the row the next page starts after (or the
previous ends before); the audit search and the inbox say which rows of how many a page shows."""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, make_app, open_task, start_request


def audit_rows(html: str) -> int:
    return len(re.findall(r"<tr>\s*<td><time", html))


def request_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def busy(web_engine):
    """Four requests, one of them approved by bob: enough events for several pages of three."""
    instances = [start_request(web_engine, customer=f"客户{n}") for n in range(4)]
    web_engine.complete(open_task(web_engine, instances[0].id, "manager_approval").id, "bob", {"decision": "approve"})
    return instances


@pytest.fixture
def calls(web_engine, monkeypatch):
    """Every audit_page / instance_page / task_page call the pages make, with their arguments."""
    seen: list[tuple[str, dict]] = []
    for name in ("audit_page", "instance_page", "task_page"):
        original = getattr(web_engine, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append((_name, kwargs))
            return _original(*args, **kwargs)
        monkeypatch.setattr(web_engine, name, spy)
    return seen


def test_audit_pages_say_which_rows_of_how_many(web_engine, busy, calls):
    events = web_engine.search_audit()
    total = len(events)
    assert total > 9
    client = make_app(web_engine, AUDIT_PAGE_SIZE=3).test_client()
    login(client, "audrey")
    calls.clear()
    first = client.get("/audit/?searched=1").text
    assert audit_rows(first) == 3 and f"第 1–3 条，共 {total} 条" in first
    assert f"共找到 {total} 条事件" in first and link(first, "prev") is None
    second = client.get(link(first, "next")).text
    assert audit_rows(second) == 3 and f"第 4–6 条，共 {total} 条" in second and link(second, "prev")
    back = client.get(link(second, "prev")).text
    assert f"第 1–3 条，共 {total} 条" in back and link(back, "prev") is None
    page, shown = first, 3
    while link(page, "next"):
        page = client.get(link(page, "next")).text
        shown += audit_rows(page)
    assert shown == total and f"条，共 {total} 条" in page
    # The database does the paging: each page names the event it continues after, never an offset.
    anchors = [kw.get("after") for name, kw in calls if name == "audit_page"][:2]
    assert anchors == [None, events[2].id]


def test_audit_page_after_an_unknown_event_is_the_first(web_engine, busy):
    client = make_app(web_engine, AUDIT_PAGE_SIZE=3).test_client()
    login(client, "audrey")
    page = client.get("/audit/?searched=1&after=999999").text
    assert "第 1–3 条" in page and audit_rows(page) == 3


def test_audit_filters_are_kept_across_pages(web_engine, busy):
    first = busy[0]
    trail = len(web_engine.audit_trail(first.id))
    client = make_app(web_engine, AUDIT_PAGE_SIZE=2).test_client()
    login(client, "audrey")
    page = client.get(f"/audit/?instance={first.id}").text
    assert f"共找到 {trail} 条事件" in page and f"第 1–2 条，共 {trail} 条" in page
    following = link(page, "next")
    assert f"instance={first.id}" in following
    assert f'href="/requests/{busy[1].id}"' not in client.get(following).text
    client.get("/language/en")
    page = client.get(f"/audit/?instance={first.id}").text
    assert f"{trail} events found" in page and f"1–2 of {trail}" in page
    assert "1 event found" in client.get(f"/audit/?instance={first.id}&kind=started").text


def test_one_page_of_results_has_no_pager(client, web_engine, busy):
    login(client, "audrey")
    page = client.get(f"/audit/?instance={busy[1].id}").text
    assert 'class="pager"' not in page and "条事件" in page


def test_requests_page_by_keyset(web_engine, calls):
    made = [start_request(web_engine, customer=f"客户{n}").id for n in range(5)]
    client = make_app(web_engine, INBOX_PAGE_SIZE=2).test_client()
    login(client, "alice")
    first = client.get("/requests/").text
    assert request_ids(first) == made[::-1][:2] and link(first, "next") and link(first, "prev") is None
    second = client.get(link(first, "next")).text
    assert request_ids(second) == made[::-1][2:4]
    third = client.get(link(second, "next")).text
    assert request_ids(third) == made[:1] and link(third, "next") is None and link(third, "prev")
    assert request_ids(client.get(link(third, "prev")).text) == made[::-1][2:4]
    asked = [(kw.get("after"), kw.get("before")) for name, kw in calls if name == "instance_page"]
    assert asked == [(None, None), (made[3], None), (made[1], None), (None, made[0])]


def test_requests_page_keeps_filters_and_returns_from_past_the_end(web_engine):
    status = [start_request(web_engine, customer=f"客户{n}") for n in range(3)][0].status
    start_request(web_engine, "dave", customer="别人的")
    client = make_app(web_engine, INBOX_PAGE_SIZE=2).test_client()
    login(client, "owen")  # a process owner may list everybody's requests
    page = client.get(f"/requests/?scope=all&status={status}").text
    following = link(page, "next")
    assert "scope=all" in following and f"status={status}" in following
    assert len(request_ids(client.get(following).text)) == 2
    response = client.get("/requests/?scope=all&after=1")
    assert response.status_code == 302 and "after" not in response.location and "scope=all" in response.location


def test_inbox_pages_by_keyset_and_says_where_it_is(web_engine, calls):
    made = [start_request(web_engine, customer=f"客户{n}").id for n in range(5)]
    client = make_app(web_engine, INBOX_PAGE_SIZE=2).test_client()
    login(client, "bob")
    first = client.get("/inbox?tab=group&sort=created").text
    assert "第 1–2 条，共 5 条" in first and link(first, "prev") is None
    following = link(first, "next")
    assert "tab=group" in following and "sort=created" in following and "after=" in following
    second = client.get(following).text
    assert "第 3–4 条，共 5 条" in second
    assert [kw.get("after") is not None for name, kw in calls if name == "task_page"] == [False, True]
