"""The models area: who may enter, versions and downloads, uploads refused with their reason, preview, deploy."""
from __future__ import annotations

import io
from html import unescape

import pytest

from tests.conftest import DATA, ROOT
from tests.web.conftest import login, make_app, open_task, start_request

APPROVAL = (DATA / "approval.bpmn").read_text(encoding="utf-8")
RENAMED = APPROVAL.replace('id="manager_approval" name="经理审批"', 'id="manager_approval" name="部门经理审批"')


def variant(old: str, new: str) -> str:
    assert APPROVAL.count(old) >= 1, old
    return APPROVAL.replace(old, new, 1)


def as_task(kind: str, extra: str = "") -> str:
    """The script task `prepare` turned into another kind of task (its script dropped)."""
    return (APPROVAL.replace('<bpmn:scriptTask id="prepare" name="计算级别">', f'<bpmn:{kind} id="prepare" name="计算级别"{extra}>')
            .replace('      <bpmn:script>level = "high" if amount &gt;= 1000 else "low"</bpmn:script>\n'
                     '    </bpmn:scriptTask>', f'    </bpmn:{kind}>'))


DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
XXE = APPROVAL.replace(DECLARATION, DECLARATION + '\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(
    "审批 {{ customer }}", "&xxe; {{ customer }}")
LAUGHS = APPROVAL.replace(DECLARATION, DECLARATION + '\n<!DOCTYPE d [<!ENTITY lol "lol">'
                          '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>').replace(
    "审批 {{ customer }}", "&lol3; {{ customer }}")
SERVICE = as_task("serviceTask").replace(
    '<bpmn:serviceTask id="prepare" name="计算级别">',
    '<bpmn:serviceTask id="prepare" name="计算级别"><bpmn:extensionElements>'
    '<spiffworkflow:serviceTaskOperator id="no_such_operator" resultVariable="r"><spiffworkflow:parameters />'
    '</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>')

# name -> (file text, category shown, the engine's reason, element id or None)
BAD_FILES = {
    "malformed": (APPROVAL.replace("</bpmn:process>", ""), "不是格式正确的 XML", "malformed XML", None),
    "xxe": (XXE, "禁止 DOCTYPE 或实体声明", "DOCTYPE or ENTITY declaration is not allowed", None),
    "billion_laughs": (LAUGHS, "禁止 DOCTYPE 或实体声明", "DOCTYPE or ENTITY declaration is not allowed", None),
    "unknown_lane": (variant('name="gm"', 'name="nobody"'), "泳道名不是已知的用户组",
                     "lane 'nobody' is not a known group", "lane_gm"),
    "missing_form": (variant('value="decision.schema.json"', 'value="missing.schema.json"'), "表单文件缺失或无效",
                     "form file 'missing.schema.json' not found in forms/", "manager_approval"),
    "script_import": (variant('level = "high" if amount', 'import os\nlevel = "high" if amount'),
                      "表达式或脚本不被允许", "expression refused", "prepare"),
    "gateway_without_way_out": (variant(' default="f_reject"', ""), "网关的出口既无条件也不是默认出口",
                                "outgoing flow 'f_reject' has no condition and is not the default", "gw_manager"),
    "bad_timer": (variant('"P3D"', '"three days"'), "定时器的值不是有效的 ISO 8601",
                  "is not valid ISO 8601", "manager_deadline"),
    "unknown_called_process": (as_task("callActivity", ' calledElement="no_such_process"'), "调用了未部署的流程",
                               "calls unknown process 'no_such_process'", "prepare"),
    "unknown_operator": (SERVICE, "未知的服务操作", "unknown service operator 'no_such_operator'", "prepare"),
}


def upload(client, text: str, filename: str = "approval.bpmn"):
    return client.post("/models/upload", data={"file": (io.BytesIO(text.encode("utf-8")), filename)},
                       content_type="multipart/form-data", follow_redirects=True)


def draft_id_of(response) -> int:
    return int(response.request.path.split("/")[3])


ROUTES = [("GET", "/models/"), ("GET", "/models/small_approval"), ("GET", "/models/versions/1/download"),
          ("POST", "/models/upload"), ("GET", "/models/small_approval/edit"), ("POST", "/models/small_approval/drafts"),
          ("GET", "/models/drafts/1/edit"), ("GET", "/models/drafts/1/xml"), ("GET", "/models/drafts/1/check"),
          ("POST", "/models/drafts/1/deploy"), ("POST", "/models/drafts/1/discard"),
          ("GET", "/models/small_approval/migrate"), ("POST", "/models/small_approval/migrate")]
CHANGING = [r for r in ROUTES if r not in {("GET", "/models/"), ("GET", "/models/small_approval"),
                                           ("GET", "/models/versions/1/download")}]


@pytest.fixture
def draft(web_engine):
    return web_engine.save_draft("small_approval", "approval.bpmn", RENAMED, "owen", base_version=1)


@pytest.mark.parametrize("method,url", ROUTES)
def test_anonymous_is_sent_to_login(client, draft, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302 and response.location.startswith("/login?next=")


@pytest.mark.parametrize("method,url", ROUTES)
def test_people_outside_owners_and_auditors_get_403(client, draft, method, url):
    login(client, "alice")
    assert client.open(url, method=method).status_code == 403


@pytest.mark.parametrize("method,url", CHANGING)
def test_auditors_may_not_change_anything(client, draft, method, url):
    login(client, "audrey")
    assert client.open(url, method=method).status_code == 403


@pytest.mark.parametrize("url", ["/models/no_such_process", "/models/versions/9999/download", "/models/drafts/9999/check",
                                 "/models/drafts/9999/edit", "/models/drafts/9999/xml", "/models/no_such_process/edit",
                                 "/models/no_such_process/migrate"])
def test_missing_is_404(client, url):
    login(client, "owen")
    assert client.get(url).status_code == 404


def test_navigation_link_for_owners_and_auditors_only(client):
    login(client, "alice")
    assert 'href="/models/"' not in client.get("/inbox").text
    client.post("/logout")
    login(client, "owen")
    assert 'href="/models/">流程模型</a>' in client.get("/inbox").text


def test_auditor_sees_versions_counts_and_downloads(client, web_engine):
    start_request(web_engine)
    finished = start_request(web_engine)
    web_engine.cancel(finished.id, "alice")
    login(client, "audrey")
    page = client.get("/models/").text
    [version] = [v for v in web_engine.version_stats("small_approval")]
    row = page[page.index('id="process-small_approval"'):][:3000]
    assert "小额审批" in row and "欧文" in row and version.definition.sha256[:12] in row
    assert '<td class="num">1</td>\n    <td class="num">1</td>' in row  # one running, one finished
    assert "上传文件" not in page and "编辑最新版本" not in page  # auditors only look
    response = client.get(f"/models/versions/{version.definition.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "small_approval.v1.bpmn" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8") == APPROVAL


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_upload_is_refused_with_its_reason(client, web_engine, name):
    text, category, reason, element = BAD_FILES[name]
    login(client, "owen")
    response = upload(client, text)
    page = unescape(response.text)
    assert response.status_code in (200, 422)
    assert category in page and reason in page, page[page.find('id="problems"'):][:1500]
    if element:
        assert f'data-element="{element}"' in page and element in page.split('id="problems"')[1]
    assert 'id="deploy"' not in page  # no deploy button while a problem remains
    assert [d.version for d in web_engine.definitions("small_approval")] == [1]


def test_unreadable_upload_keeps_no_draft(client, web_engine):
    login(client, "owen")
    assert upload(client, BAD_FILES["xxe"][0]).status_code == 422
    assert web_engine.drafts() == []


def test_upload_needs_a_bpmn_or_dmn_file_within_the_size_limit(web_engine):
    client = make_app(web_engine, MODELS_MAX_BYTES=20000).test_client()
    login(client, "owen")
    assert "只能上传 .bpmn 或 .dmn 文件。" in upload(client, APPROVAL, "approval.txt").text
    assert "请选择要上传的 .bpmn 或 .dmn 文件。" in client.post("/models/upload", follow_redirects=True).text
    big = APPROVAL.replace("审批 {{ customer }}", "x" * 30000)
    response = upload(client, big)
    assert response.status_code == 413 and "文件大于 19 KB。" in response.text
    assert web_engine.drafts() == []


def test_preview_shows_the_change_in_plain_words_and_who_waits_there(client, web_engine):
    start_request(web_engine)
    start_request(web_engine, customer="乙")
    login(client, "owen")
    response = upload(client, RENAMED.replace('"P3D"', '"P2D"'))
    page = unescape(response.text)
    assert response.status_code == 200 and response.request.path.endswith("/check")
    assert "与第 1 版相比的变化" in page
    assert "manager_approval 由“经理审批”改名为“部门经理审批”" in page
    assert "“三天未审” (manager_deadline)：定时器由 \"P3D\" 改为 \"P2D\"" in page
    assert "2 个申请停在此处" in page  # both wait at the renamed task
    assert "第 1 版：2 个进行中" in page
    assert 'id="deploy"' in page and "部署为第 2 版" in page
    client.get("/language/en")
    page = unescape(client.get(response.request.path).text)
    assert "manager_approval renamed from “经理审批” to “部门经理审批”" in page and "Deploy as version 2" in page


def test_deploy_makes_version_2_and_shows_it(client, web_engine, draft):
    login(client, "owen")
    response = client.post(f"/models/drafts/{draft.id}/deploy")
    assert response.status_code == 302 and response.location == "/models/small_approval?version=2"
    page = client.get(response.location).text
    assert "小额审批 第 2 版已部署" in page and 'id="v2" class="highlight"' in page
    assert [d.version for d in web_engine.definitions("small_approval")] == [1, 2]
    assert web_engine.drafts() == []  # the deployed draft is gone
    assert [e.kind for e in web_engine.search_audit(process_id="small_approval")][-1] == "deployed"
    assert client.post(f"/models/drafts/{draft.id}/deploy").status_code == 404


def test_deploy_is_refused_while_a_problem_remains(client, web_engine):
    login(client, "owen")
    draft_id = draft_id_of(upload(client, BAD_FILES["unknown_lane"][0]))
    response = client.post(f"/models/drafts/{draft_id}/deploy")
    assert response.status_code == 422 and "lane &#39;nobody&#39; is not a known group" in response.text
    assert 'id="deploy"' not in response.text
    assert [d.version for d in web_engine.definitions("small_approval")] == [1]


def test_unchanged_file_offers_nothing_to_deploy(client, web_engine):
    login(client, "owen")
    page = upload(client, APPROVAL).text
    assert "与第 1 版完全相同" in page and 'id="deploy"' not in page


def test_new_procedure_becomes_version_1(client, web_engine):
    login(client, "owen")
    text = APPROVAL.replace('processRef="small_approval"', 'processRef="other_approval"').replace(
        'id="small_approval"', 'id="other_approval"')
    response = upload(client, text, "other.bpmn")
    assert "这将是第 1 版" in response.text
    assert client.post(f"/models/drafts/{draft_id_of(response)}/deploy").location == "/models/other_approval?version=1"


def test_check_page_marks_problem_elements_for_the_diagram(client):
    login(client, "owen")
    page = upload(client, BAD_FILES["gateway_without_way_out"][0]).text
    assert 'data-problems="[&#34;gw_manager&#34;]"' in page and "modeler-check.js" in page


def test_open_task_of_instance_is_counted_in_running(client, web_engine):
    inst = start_request(web_engine)
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    login(client, "owen")
    page = upload(client, RENAMED).text
    assert "停在此处" not in page and "第 1 版：1 个进行中" in page


def test_decision_table_is_checked_and_deployed_without_a_diagram(client, web_engine):
    login(client, "owen")
    response = upload(client, (ROOT / "workflows" / "grade_rules.dmn").read_text(encoding="utf-8"), "grade_rules.dmn")
    assert "决策表" in response.text and "check-diagram" not in response.text and "文件通过了全部检查" in response.text
    assert client.post(f"/models/drafts/{draft_id_of(response)}/deploy").location == "/models/grade_rules?version=1"
    page = client.get("/models/grade_rules").text
    assert "DMN" in client.get("/models/").text and "编辑决策表" in page and "编辑最新版本" not in page
    editor = client.get("/models/grade_rules/edit").text  # the decision-table editor, not the diagram's
    assert "dmn-modeler.production.min.js" in editor and "modeler-dmn.js" in editor and "bpmn-modeler" not in editor
