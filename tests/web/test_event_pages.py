"""What people see of messages, signals and timer starts: the owner's schedule, the request's timeline."""
from __future__ import annotations

from datetime import datetime, timezone
from html import unescape

from tests.conftest import DATA
from tests.web.conftest import login

EVENTS = DATA / "events"


def test_owner_sees_how_a_process_starts_and_its_next_timer_start(client, web_engine, clock):
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
    web_engine.deploy_paths([EVENTS / "daily.bpmn", EVENTS / "orders.bpmn"], "owen")
    login(client, "owen")
    page = unescape(client.get("/models/daily_check").text)
    assert "启动方式" in page and '定时启动："R3/2026-11-24T00:00:00+00:00/P1D"' in page
    assert "下次定时启动：2026年11月24日" in page and "之后还有 3 次" in page
    web_engine.fire_due_timers(datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc))
    page = unescape(client.get("/models/daily_check").text)
    assert "下次定时启动：2026年11月25日" in page and "定时器已启动 1 次" in page
    page = unescape(client.get("/models/fulfil_flow").text)
    assert "收到消息 order_placed 时启动" in page
    # a process started by hand has no such card
    assert "启动方式" not in unescape(client.get("/models/order_flow").text)


def test_the_request_timeline_says_which_message_arrived(client, web_engine):
    web_engine.deploy_paths([EVENTS / "orders.bpmn"], "owen")
    order = web_engine.start("order_flow", "alice", {"order_no": "W1", "qty": 4})
    web_engine.send_message("order_confirmed", "owen", {"order_no": "W1", "ok": True},
                            {"order_key": {"order_no": "W1"}})
    login(client, "alice")
    page = unescape(client.get(f"/requests/{order.id}").text)
    assert '<span class="kind">消息已发出</span>' in page and '<span class="kind">收到消息</span>' in page
    assert "<dt>发送人</dt><dd>欧文</dd>" in page and '<dt>内容</dt><dd>{"order_no": "W1", "ok": true}</dd>' in page
    assert "已结束" in page  # an end event without a name or an outcome: "ended", no claim beyond that
