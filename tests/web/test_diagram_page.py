"""The request page's diagram: lanes named by their groups, zoom buttons, the minimap served from npm."""
from __future__ import annotations

import html
import json
import re

from tests.web.conftest import login, start_request


def test_request_page_gives_the_viewer_group_names_and_zoom_buttons(client, web_engine):
    inst = start_request(web_engine)
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    names = json.loads(html.unescape(re.search(r'data-lane-names="([^"]*)"', page).group(1)))
    assert names["cs_manager"] == "客户服务部经理" and names["initiator"] == "申请人"
    for label in ("放大", "缩小", "适应窗口"):
        assert f">{label}</button>" in page
    assert 'data-msg-open-minimap="显示缩略图"' in page
    assert "/vendor/diagram-js-minimap/dist/diagram-minimap.umd.prod.js" in page


def test_minimap_route_serves_only_its_bundle_and_style_sheet(client, app, tmp_path):
    login(client, "alice")
    package = tmp_path / "diagram-js-minimap"
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "diagram-minimap.umd.prod.js").write_text("window.DiagramJSMinimap = {};")
    (package / "dist" / "index.js").write_text("nope")  # in the package, but no page loads it
    app.config["MINIMAP_PACKAGE"] = str(package)
    response = client.get("/vendor/diagram-js-minimap/dist/diagram-minimap.umd.prod.js")
    assert response.status_code == 200 and b"DiagramJSMinimap" in response.data
    response.close()
    assert client.get("/vendor/diagram-js-minimap/dist/index.js").status_code == 404
    assert client.get("/vendor/diagram-js-minimap/../package.json").status_code == 404
    assert client.get("/vendor/diagram-js-minimap/assets/diagram-js-minimap.css").status_code == 404  # missing here
