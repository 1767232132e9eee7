"""Long lists page in the database: the audit search says "page X of Y" (count_audit), requests use offset."""
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
    """Every search_audit / count_audit / instances call the pages make, with their arguments."""
    seen: list[tuple[str, dict]] = []
    for name in ("search_audit", "count_audit", "instances"):
        original = getattr(web_engine, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append((_name, kwargs))
            return _original(*args, **kwargs)
        monkeypatch.setattr(web_engine, name, spy)
    return seen


def test_audit_pages_say_page_x_of_y(web_engine, busy, calls):
    total = web_engine.count_audit()
    assert total == len(web_engine.search_audit()) and total > 9
    pages = -(-total // 3)
    client = make_app(web_engine, AUDIT_PAGE_SIZE=3).test_client()
    login(client, "audrey")
    calls.clear()
    first = client.get("/audit/?searched=1").text
    assert audit_rows(first) == 3 and f"第 1 页，共 {pages} 页" in first
    assert f"共找到 {total} 条事件" in first and link(first, "prev") is None
    second = client.get(link(first, "next")).text
    assert audit_rows(second) == 3 and f"第 2 页，共 {pages} 页" in second and link(second, "prev")
    last = client.get(f"/audit/?searched=1&page={pages}").text
    assert audit_rows(last) == total - 3 * (pages - 1) and link(last, "next") is None
    assert f"第 {pages} 页，共 {pages} 页" in last
    # The database does the paging: limit and offset, and the same filters for the count.
    searches = [kw for name, kw in calls if name == "search_audit"]
    assert [(kw["limit"], kw["offset"]) for kw in searches] == [(3, 0), (3, 3), (3, 3 * (pages - 1))]
    counts = [kw for name, kw in calls if name == "count_audit"]
    assert all(c == {k: v for k, v in s.items() if k not in ("limit", "offset")} for c, s in zip(counts, searches))


def test_audit_page_past_the_end_shows_the_last_page(web_engine, busy):
    client = make_app(web_engine, AUDIT_PAGE_SIZE=3).test_client()
    login(client, "audrey")
    page = client.get("/audit/?searched=1&page=999").text
    pages = -(-web_engine.count_audit() // 3)
    assert f"第 {pages} 页，共 {pages} 页" in page and audit_rows(page) >= 1


def test_audit_filters_are_kept_across_pages(web_engine, busy):
    first = busy[0]
    trail = len(web_engine.audit_trail(first.id))
    client = make_app(web_engine, AUDIT_PAGE_SIZE=2).test_client()
    login(client, "audrey")
    page = client.get(f"/audit/?instance={first.id}").text
    assert f"共找到 {trail} 条事件" in page and f"共 {-(-trail // 2)} 页" in page
    following = link(page, "next")
    assert f"instance={first.id}" in following
    assert f'href="/requests/{busy[1].id}"' not in client.get(following).text
    client.get("/language/en")
    page = client.get(f"/audit/?instance={first.id}").text
    assert f"{trail} events found" in page and f"Page 1 of {-(-trail // 2)}" in page
    assert "1 event found" in client.get(f"/audit/?instance={first.id}&kind=started").text


def test_one_page_of_results_has_no_pager(client, web_engine, busy):
    login(client, "audrey")
    page = client.get(f"/audit/?instance={busy[1].id}").text
    assert 'class="pager"' not in page and "条事件" in page


def test_requests_page_with_offset(web_engine, calls):
    made = [start_request(web_engine, customer=f"客户{n}").id for n in range(5)]
    client = make_app(web_engine, INBOX_PAGE_SIZE=2).test_client()
    login(client, "alice")
    first = client.get("/requests/").text
    assert request_ids(first) == made[::-1][:2] and link(first, "next") and link(first, "prev") is None
    assert "第 1 页" in first
    second = client.get(link(first, "next")).text
    assert request_ids(second) == made[::-1][2:4]
    third = client.get(link(second, "next")).text
    assert request_ids(third) == made[:1] and link(third, "next") is None and link(third, "prev")
    asked = [(kw["limit"], kw["offset"]) for name, kw in calls if name == "instances"]
    assert asked == [(3, 0), (3, 2), (3, 4)]  # one page (and one row more) at a time, never the whole list


def test_requests_page_keeps_filters_and_returns_from_past_the_end(web_engine):
    status = [start_request(web_engine, customer=f"客户{n}") for n in range(3)][0].status
    start_request(web_engine, "dave", customer="别人的")
    client = make_app(web_engine, INBOX_PAGE_SIZE=2).test_client()
    login(client, "owen")  # a process owner may list everybody's requests
    page = client.get(f"/requests/?scope=all&status={status}").text
    following = link(page, "next")
    assert "scope=all" in following and f"status={status}" in following
    assert len(request_ids(client.get(following).text)) == 2
    response = client.get("/requests/?scope=all&page=9")
    assert response.status_code == 302 and "page=1" in response.location and "scope=all" in response.location
