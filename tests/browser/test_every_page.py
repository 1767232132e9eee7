"""Every page of the demo company, as each role opens it at phone width (390 px): it fits without sideways
scrolling, and what people who are not auditors read is in plain words (no `group:` id, English status
word, ISO timestamp or BPMN element id)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import TOUR
from tests.browser.test_tour import PHONE, no_sideways_scroll, sign_in
from tests.browser.test_unhappy_paths import INTERNAL, VISIBLE_TEXT
from tests.conftest import WORKFLOWS
from procedures.demo import load_demo

# flow-node ids of the company's diagrams (e.g. cs_review, end_expired): never shown to people
ELEMENT_ID = re.compile(r'<bpmn:(?:\w*Task|\w*Event|\w*Gateway|subProcess|callActivity)\b[^>]*\bid="([a-z]+_[a-z_0-9]+)"')
ROLES = ("liuyang", "zhangwei", "lina", "wangqiang", "sunli", "wujun", "fenggang", "gaofeng", "maliang")
PER_LIST = 6  # requests and tasks followed from each list


def _element_ids() -> set[str]:
    return {m for path in WORKFLOWS.glob("*.bpmn") for m in ELEMENT_ID.findall(path.read_text(encoding="utf-8"))}


def _links(page, selector: str) -> list[str]:
    return list(dict.fromkeys(urlsplit(h).path for h in page.eval_on_selector_all(
        selector, "els => els.map(e => e.href)")))[:PER_LIST]


def test_every_page_fits_a_phone_and_reads_in_plain_words(browser, tmp_path):
    others = [p for p in sorted(WORKFLOWS.iterdir()) if p.suffix in (".bpmn", ".dmn") and p.name != "tour_approval.bpmn"]
    engine, server = serve_scenario(TOUR, tmp_path, bpmn_files=others)
    assert load_demo(engine) >= 12
    ids = _element_ids()
    assert {"cs_review", "gate"} & ids  # the detector knows the diagrams' ids
    words = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, ids), key=len, reverse=True)) + r")(?![\w-])")
    problems, seen = [], 0
    with server:
        for user in (*ROLES, "huangyan", "luoming"):
            page = sign_in(browser, server.url, TOUR, user, viewport=PHONE)
            reader = user not in ("huangyan", "luoming")  # auditors and process owners see records as kept
            urls = ["/inbox", "/inbox?tab=done", "/requests/", "/start/", "/notices/", "/notices/settings/"]
            page.goto(f"{server.url}/inbox")
            urls += _links(page, "a.task-title")
            page.goto(f"{server.url}/requests/" + ("?scope=all" if not reader else ""))
            urls += _links(page, "table a[href^='/requests/'], table a[href*='/requests/']")
            if page.locator("header nav a[href='/team/']").count():
                urls.append("/team/")
            if page.locator("header nav a[href='/reports/']").count():
                page.goto(f"{server.url}/reports/")
                urls += ["/reports/", *_links(page, "#reports a")]
            if not reader:
                urls += ["/audit/", "/models/"] if user == "huangyan" else ["/models/", "/calendar/", "/notices/robots/"]
            for url in dict.fromkeys(urls):
                response = page.goto(f"{server.url}{url}")
                seen += 1
                if response is None or response.status != 200:
                    problems.append(f"{user} {url}: HTTP {response.status if response else '?'}")
                    continue
                if not no_sideways_scroll(page):
                    width = page.evaluate("document.documentElement.scrollWidth")
                    problems.append(f"{user} {url}: {width} px wide at 390")
                if reader:
                    text = page.evaluate(VISIBLE_TEXT, False)
                    found = sorted({m.group(0) for m in INTERNAL.finditer(text)}
                                   | {m.group(1) for m in words.finditer(text)})
                    if found:
                        problems.append(f"{user} {url}: {found}")
            page.context.close()
    engine.sa_engine.dispose()
    assert seen > 60, seen
    assert problems == [], "\n".join(problems)
