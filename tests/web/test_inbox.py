"""The inbox: my tasks, my groups' queue with claim, what I completed; counts, due marks, filter, sort, pages."""
from __future__ import annotations

import re

from tests.web.conftest import login, make_app, open_task, start_request


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'class="task-title" href="/tasks/(\d+)"', html)


def test_group_queue_my_tasks_and_completed(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    # the inbox opens on everything he can act on: the group's task is there, with its claim button
    landing = client.get("/inbox")
    assert landing.status_code == 200 and titles_in_order(landing.text) == [str(task.id)]
    assert f'action="/tasks/{task.id}/claim"' in landing.text and "全部待办" in landing.text
    assert client.get("/", follow_redirects=True).request.path == "/inbox"
    mine = client.get("/inbox?tab=mine")
    assert titles_in_order(mine.text) == []
    group = client.get("/inbox?tab=group").text
    assert titles_in_order(group) == [str(task.id)]
    assert f'action="/tasks/{task.id}/claim"' in group and "客户服务部经理" in group
    client.post(f"/tasks/{task.id}/claim")
    assert titles_in_order(client.get("/inbox?tab=mine").text) == [str(task.id)]
    assert titles_in_order(client.get("/inbox?tab=group").text) == []
    client.post(f"/tasks/{task.id}", data={"decision": "approve"})
    assert titles_in_order(client.get("/inbox?tab=done").text) == [str(task.id)]


def test_navigation_counts(client, web_engine):
    for n in range(3):
        start_request(web_engine, customer=f"客户{n}")
    first = open_task(web_engine, web_engine.instances()[-1].id, "manager_approval")
    web_engine.claim(first.id, "bob")
    login(client, "bob")
    html = client.get("/requests/").text  # any page carries the counts
    counts = re.findall(r'<span class="count" title="[^"]*">(\d+)</span>', html)
    assert counts == ["1", "2"]


def test_due_and_overdue_are_marked(client, web_engine, clock):
    inst = start_request(web_engine)
    login(client, "bob")
    page = client.get("/inbox?tab=group").text
    assert "badge due" in page and "due-overdue" not in page  # due in three days
    clock.advance(days=2, hours=12)
    assert "badge soon" in client.get("/inbox?tab=group").text
    clock.advance(days=1)
    page = client.get("/inbox?tab=group").text
    assert "badge overdue" in page and "task-item due-overdue" in page
    task = open_task(web_engine, inst.id, "manager_approval")
    assert "badge overdue" in client.get(f"/tasks/{task.id}").text


def test_filter_by_process_and_sort(client, web_engine, clock):
    old = start_request(web_engine, customer="早")
    clock.advance(hours=1)
    login(client, "alice")
    client.post("/start/web_widgets", data={"name": "控件", "kind": "a", "count": "1",
                                            "lines-0-item": "x", "lines-0-qty": "1"})
    widget_task = web_engine.open_tasks(web_engine.instances(process_id="web_widgets")[0].id)[0]
    clock.advance(hours=1)
    new = start_request(web_engine, customer="晚")
    client.post("/logout")
    login(client, "dave")  # cs_manager: sees both approvals; not the widget task (alice's own)
    by_created = titles_in_order(client.get("/inbox?tab=group&sort=created").text)
    first, second = open_task(web_engine, old.id, "manager_approval"), open_task(web_engine, new.id, "manager_approval")
    assert by_created == [str(first.id), str(second.id)]
    client.post("/logout")
    login(client, "alice")
    everything = titles_in_order(client.get("/inbox").text)
    assert everything == [str(widget_task.id)]
    assert titles_in_order(client.get("/inbox?process=small_approval").text) == []
    assert titles_in_order(client.get("/inbox?process=web_widgets").text) == [str(widget_task.id)]


def test_due_sort_puts_deadlines_first(client, web_engine, clock):
    own = web_engine.start("web_widgets", "dave", {"name": "戴夫", "kind": "a", "count": 1,
                                                   "lines": [{"item": "x", "qty": 1}]})
    no_deadline = web_engine.open_tasks(own.id)[0]
    clock.advance(hours=1)
    manager = open_task(web_engine, start_request(web_engine).id, "manager_approval")
    web_engine.claim(manager.id, "dave")
    login(client, "dave")
    assert titles_in_order(client.get("/inbox?sort=due").text) == [str(manager.id), str(no_deadline.id)]
    assert titles_in_order(client.get("/inbox?sort=created").text) == [str(no_deadline.id), str(manager.id)]
    assert titles_in_order(client.get("/inbox").text) == [str(manager.id), str(no_deadline.id)]


def test_pages(web_engine):
    app = make_app(web_engine, INBOX_PAGE_SIZE=2)
    client = app.test_client()
    for n in range(5):
        start_request(web_engine, customer=f"客户{n}")
    login(client, "bob")
    first = client.get("/inbox?tab=group").text
    assert len(titles_in_order(first)) == 2 and 'rel="next"' in first and 'rel="prev"' not in first
    assert "tab=group" in re.search(r'rel="next" href="([^"]+)"', first).group(1)
    follow = lambda html, rel: re.search(rf'rel="{rel}" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    third = client.get(follow(client.get(follow(first, "next")).text, "next")).text
    assert len(titles_in_order(third)) == 1 and 'rel="prev"' in third and 'rel="next"' not in third
    assert "第 5–5 条，共 5 条" in third
    assert client.get("/inbox?tab=group&after=abc").status_code == 200
    assert client.get("/inbox?tab=group&before=99999999999999999999999").status_code == 200


def test_auditors_land_on_the_audit_and_idle_process_owners_on_their_models(client, web_engine):
    login(client, "audrey")
    assert client.get("/", follow_redirects=True).request.path == "/audit/"
    client.get("/logout")
    login(client, "owen")
    assert client.get("/", follow_redirects=True).request.path.startswith("/models")
