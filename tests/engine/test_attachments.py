"""Attachments on the small approval: staged on a start form and bound at the start, on a task before it is
completed, on the request; every refusal (wrong user, wrong state, too large, refused or disguised kind, a
switched-off process or task, a closed request). Each call also runs on a new engine (restarting)."""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from engine import Conflict, Engine, FormInvalid, NotAllowed, NotFound
from engine.files.store import DiskStore, FileMissing
from tests.conftest import DATA, build_engine
from tests.files import HTML, docx, pdf, plain_zip, png
from tests.restart import RestartingEngine

PROCESS = "small_approval"


def forms_with_attachments(folder):
    """The small approval's forms, with photos on the request and evidence required for a decision."""
    folder.mkdir()
    for path in (DATA / "forms").glob("*.json"):
        shutil.copy(path, folder / path.name)
    request = json.loads((folder / "request.schema.json").read_text(encoding="utf-8"))
    request["properties"]["photos"] = {"type": "array", "format": "attachments", "title": "照片",
                                       "items": {"type": "integer"}, "maxItems": 5}
    (folder / "request.schema.json").write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    decision = json.loads((folder / "decision.schema.json").read_text(encoding="utf-8"))
    decision["properties"]["evidence"] = {"type": "array", "format": "attachments", "title": "依据",
                                          "items": {"type": "integer"}, "minItems": 1}
    decision["required"] = ["decision", "evidence"]
    (folder / "decision.schema.json").write_text(json.dumps(decision, ensure_ascii=False), encoding="utf-8")
    return folder


def diagram_with(tmp_path, start_properties: str = "", task_properties: str = ""):
    source = (DATA / "approval.bpmn").read_text(encoding="utf-8")
    marker = '<spiffworkflow:property name="formJsonSchemaFilename" value="request.schema.json" />'
    source = source.replace(marker, marker + start_properties, 1)
    marker = '<spiffworkflow:property name="formJsonSchemaFilename" value="decision.schema.json" />'
    source = source.replace(marker, marker + task_properties, 1)
    path = tmp_path / "approval.bpmn"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", "postgresql", "sqlite-restarting"])
def filed(request, clock, tmp_path):
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    forms = forms_with_attachments(tmp_path / "forms")
    eng = build_engine(url, clock, DATA / "users.yaml", forms)
    eng.deploy_paths([diagram_with(tmp_path)], "owen")
    yield RestartingEngine(eng.sa_engine, forms_dir=forms, clock=clock) if request.param.endswith("restarting") else eng
    eng.sa_engine.dispose()


def started_with_photos(eng):
    first = eng.stage_attachment(PROCESS, "alice", "裂纹.png", png())
    second = eng.stage_attachment(PROCESS, "alice", "污渍.png", png((40, 90, 200)))
    inst = eng.start(PROCESS, "alice", {"customer": "华星电子", "amount": 5000, "photos": [first.id, second.id]})
    return inst, first, second


def manager_task(eng, inst):
    [task] = [t for t in eng.open_tasks(inst.id) if t.bpmn_id == "manager_approval"]
    return task


def refusal(exc_info) -> str:
    return exc_info.value.errors[0].code


def test_photos_staged_on_the_start_form_belong_to_the_request_and_their_sha256_to_its_audit(filed):
    inst, first, second = started_with_photos(filed)
    listed = filed.attachments(inst.id, "alice")
    assert [(a.filename, a.media_type, a.field) for a in listed] == [("裂纹.png", "image/png", "photos"),
                                                                    ("污渍.png", "image/png", "photos")]
    assert all(a.instance_id == inst.id and a.preview and a.is_image for a in listed)
    attached = [e for e in filed.audit_trail(inst.id) if e.kind == "attached"]
    assert [(e.actor, e.data["name"], e.data["size"], e.data["sha256"]) for e in attached] == [
        ("alice", "裂纹.png", len(png()), hashlib.sha256(png()).hexdigest()),
        ("alice", "污渍.png", len(png((40, 90, 200))), hashlib.sha256(png((40, 90, 200))).hexdigest())]
    assert filed.data(inst.id)["photos"] == [first.id, second.id]
    # the manager's group may read the request, so its files; a stranger may not
    view, data = filed.attachment_file(first.id, "bob")
    assert data == png() and view.filename == "裂纹.png"
    with pytest.raises(NotAllowed) as stranger:
        filed.attachment_file(first.id, "mallory")
    assert stranger.value.reason == "not_reader"
    with pytest.raises(NotAllowed):
        filed.attachments(inst.id, "mallory")
    assert filed.verify_audit(inst.id)[1] == []


def test_a_staged_file_is_its_uploaders_alone_until_a_start_binds_it(filed):
    staged = filed.stage_attachment(PROCESS, "alice", "scan.pdf", pdf())
    assert filed.attachment_file(staged.id, "alice")[1] == pdf()
    with pytest.raises(NotAllowed) as other:
        filed.attachment_file(staged.id, "dave")
    assert other.value.reason == "not_uploader"
    # dave may start the process, but not with alice's file: refused on the field, nothing created
    with pytest.raises(FormInvalid) as theirs:
        filed.start(PROCESS, "dave", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})
    assert [(e.field, e.code) for e in theirs.value.errors] == [("photos", "attachment")]
    with pytest.raises(FormInvalid) as unknown:
        filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id, 9999]})
    assert [(e.field, e.code) for e in unknown.value.errors] == [("photos", "attachment")]
    assert filed.instances() == []
    assert [a.id for a in filed.staged_attachments("alice", [staged.id])] == [staged.id]
    inst = filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})
    assert [a.id for a in filed.attachments(inst.id, "alice")] == [staged.id]
    with pytest.raises(FormInvalid):  # bound once: a second start cannot take it again
        filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})


def test_two_starts_with_the_same_files_bind_them_once(filed, monkeypatch):
    """The second of two starts sent at once (a double click) read the files as still staged; the binding
    itself takes only unbound files, so it is refused and creates nothing."""
    from engine.staples import attachments
    staged = filed.stage_attachment(PROCESS, "alice", "a.png", png())
    first = filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})
    as_read_before = lambda session, user, form, data: attachments.bound_rows(  # noqa: E731
        session, form, data, lambda row: row.uploaded_by == user)  # the check as the second start saw it
    monkeypatch.setattr(attachments, "staged_for_start", as_read_before)
    with pytest.raises(Conflict) as taken:
        filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})
    assert taken.value.reason == "files_taken"
    assert [i.id for i in filed.instances()] == [first.id]
    assert [a.id for a in filed.attachments(first.id, "alice")] == [staged.id]


def test_stage_refusals_wrong_user_too_large_refused_kind_and_disguised_files(filed, monkeypatch):
    with pytest.raises(NotAllowed) as outsider:
        filed.stage_attachment(PROCESS, "mallory", "a.png", png())
    assert outsider.value.reason == "cannot_start"
    with pytest.raises(NotFound):
        filed.stage_attachment("no_such_process", "alice", "a.png", png())
    with pytest.raises(FormInvalid) as exe:
        filed.stage_attachment(PROCESS, "alice", "setup.exe", b"MZ\x90\x00")
    assert refusal(exe) == "refused_type" and "pdf" in exe.value.errors[0].limit
    with pytest.raises(FormInvalid) as html:
        filed.stage_attachment(PROCESS, "alice", "page.html", HTML)
    assert refusal(html) == "refused_type"
    with pytest.raises(FormInvalid) as disguised:
        filed.stage_attachment(PROCESS, "alice", "合同.pdf", HTML)
    assert refusal(disguised) == "not_what_it_says" and disguised.value.errors[0].limit == "PDF"
    with pytest.raises(FormInvalid) as photo:
        filed.stage_attachment(PROCESS, "alice", "photo.jpg", png())
    assert refusal(photo) == "not_what_it_says"
    with pytest.raises(FormInvalid) as zipped:
        filed.stage_attachment(PROCESS, "alice", "report.docx", plain_zip())
    assert refusal(zipped) == "not_what_it_says"
    assert filed.stage_attachment(PROCESS, "alice", "report.docx", docx()).media_type.endswith("document")
    with pytest.raises(FormInvalid) as empty:
        filed.stage_attachment(PROCESS, "alice", "empty.pdf", b"")
    assert refusal(empty) == "empty"
    with pytest.raises(FormInvalid) as nameless:
        filed.stage_attachment(PROCESS, "alice", "../", pdf())
    assert refusal(nameless) == "required"
    assert filed.stage_attachment(PROCESS, "alice", "C:\\扫描\\..\\合同.pdf", pdf()).filename == "合同.pdf"
    monkeypatch.setenv("APPROVALS_ATTACHMENT_MAX_MB", "0.001")  # about 1 KB
    small = Engine(filed.sa_engine, forms_dir=filed.forms.forms_dir, clock=filed.clock) \
        if isinstance(filed, Engine) else filed
    with pytest.raises(FormInvalid) as large:
        small.stage_attachment(PROCESS, "alice", "big.pdf", pdf() + b"%" * 2048)
    assert refusal(large) == "too_large" and large.value.errors[0].limit == "1 KB"
    monkeypatch.setenv("APPROVALS_ATTACHMENT_TYPES", "pdf")
    narrow = Engine(filed.sa_engine, forms_dir=filed.forms.forms_dir, clock=filed.clock) \
        if isinstance(filed, Engine) else filed
    with pytest.raises(FormInvalid) as only_pdf:
        narrow.stage_attachment(PROCESS, "alice", "a.png", png())
    assert refusal(only_pdf) == "refused_type" and only_pdf.value.errors[0].limit == "pdf"


def test_a_task_form_requires_evidence_uploaded_to_that_task(filed):
    inst, first, _second = started_with_photos(filed)
    task = manager_task(filed, inst)
    with pytest.raises(FormInvalid) as missing:
        filed.complete(task.id, "bob", {"decision": "approve"})
    assert [(e.field, e.code) for e in missing.value.errors] == [("evidence", "required")]
    with pytest.raises(FormInvalid) as none:
        filed.complete(task.id, "bob", {"decision": "approve", "evidence": []})
    assert [(e.field, e.code) for e in none.value.errors] == [("evidence", "minItems")]
    with pytest.raises(FormInvalid) as photo:  # a file of the request, but not uploaded to this task
        filed.complete(task.id, "bob", {"decision": "approve", "evidence": [first.id]})
    assert [(e.field, e.code) for e in photo.value.errors] == [("evidence", "attachment")]
    with pytest.raises(NotAllowed) as applicant:  # the applicant may not act on the manager's task
        filed.attach(inst.id, "alice", "my.pdf", pdf(), task_id=task.id)
    assert applicant.value.reason == "not_candidate"
    with pytest.raises(NotAllowed):
        filed.attach(inst.id, "gina", "gm.pdf", pdf(), task_id=task.id)
    evidence = filed.attach(inst.id, "bob", "核实记录.pdf", pdf("checked"), task_id=task.id)
    assert (evidence.task_id, evidence.field) == (task.id, None)
    [event] = [e for e in filed.audit_trail(inst.id) if e.kind == "attached" and e.actor == "bob"]
    assert event.bpmn_id == "manager_approval" and event.data["sha256"] == hashlib.sha256(pdf("checked")).hexdigest()
    filed.complete(task.id, "bob", {"decision": "approve", "evidence": [evidence.id]})
    assert [a.field for a in filed.attachments(inst.id, "bob") if a.id == evidence.id] == ["evidence"]
    with pytest.raises(Conflict) as submitted:
        filed.remove_attachment(evidence.id, "bob")
    assert submitted.value.reason == "submitted"
    with pytest.raises(Conflict) as done:
        filed.attach(inst.id, "bob", "late.pdf", pdf(), task_id=task.id)
    assert done.value.reason == "completed"


def test_request_files_removal_and_a_closed_request(filed):
    inst, first, _second = started_with_photos(filed)
    with pytest.raises(NotAllowed) as stranger:
        filed.attach(inst.id, "mallory", "x.pdf", pdf())
    assert stranger.value.reason == "not_reader"
    note = filed.attach(inst.id, "bob", "补充说明.pdf", pdf("note"))
    with pytest.raises(NotAllowed) as not_theirs:
        filed.remove_attachment(note.id, "alice")
    assert not_theirs.value.reason == "not_uploader"
    with pytest.raises(Conflict) as from_form:  # the photos were submitted with the start form
        filed.remove_attachment(first.id, "alice")
    assert from_form.value.reason == "submitted"
    filed.remove_attachment(note.id, "bob")
    assert note.id not in [a.id for a in filed.attachments(inst.id, "alice")]
    with pytest.raises(NotFound) as gone:
        filed.attachment_file(note.id, "bob")
    assert gone.value.reason == "removed"
    assert [e.data["name"] for e in filed.audit_trail(inst.id) if e.kind == "attachment_removed"] == ["补充说明.pdf"]
    kept = filed.attach(inst.id, "bob", "另一份说明.pdf", pdf("kept"))
    filed.cancel(inst.id, "alice", "客户撤诉")
    with pytest.raises(Conflict) as closed:
        filed.attach(inst.id, "alice", "after.pdf", pdf())
    assert closed.value.reason == "instance_ended"
    with pytest.raises(Conflict) as ended:  # the request's files stay as they were when it ended
        filed.remove_attachment(kept.id, "bob")
    assert ended.value.reason == "instance_ended"
    with pytest.raises(NotFound) as twice:
        filed.remove_attachment(note.id, "bob")
    assert twice.value.reason == "removed"
    assert filed.attachment_file(first.id, "alice")[1] == png()  # still readable after the end
    with pytest.raises(NotFound):
        filed.attach(9999, "alice", "x.pdf", pdf())


def test_a_request_holds_a_limited_number_of_files(filed, monkeypatch):
    monkeypatch.setenv("APPROVALS_ATTACHMENTS_PER_REQUEST", "2")
    eng = Engine(filed.sa_engine, forms_dir=filed.forms.forms_dir, clock=filed.clock) \
        if isinstance(filed, Engine) else filed
    inst, _first, _second = started_with_photos(eng)
    with pytest.raises(FormInvalid) as full:
        eng.attach(inst.id, "alice", "third.pdf", pdf())
    assert refusal(full) == "too_many" and full.value.errors[0].limit == 2


def test_auditors_read_but_never_attach(filed):
    filed.import_users({"groups": [{"id": "auditor", "name": "审计"}],
                        "users": [{"username": "audrey", "name": "奥黛丽", "password": "pw", "groups": ["auditor"]}]})
    inst, first, _second = started_with_photos(filed)
    assert filed.attachment_file(first.id, "audrey")[1] == png()
    with pytest.raises(NotAllowed) as auditor:
        filed.attach(inst.id, "audrey", "x.pdf", pdf())
    assert auditor.value.reason == "auditor"


def test_switched_off_for_the_process_or_one_task(filed, tmp_path):
    filed.deploy_paths([diagram_with(tmp_path, task_properties='<spiffworkflow:property name="attachments" value="off"/>')],
                       "owen")
    inst, _first, _second = started_with_photos(filed)
    task = manager_task(filed, inst)
    with pytest.raises(NotAllowed) as task_off:
        filed.attach(inst.id, "bob", "x.pdf", pdf(), task_id=task.id)
    assert task_off.value.reason == "staple_off"
    assert filed.attach(inst.id, "bob", "x.pdf", pdf()).task_id is None  # the request itself still takes files
    staged = filed.stage_attachment(PROCESS, "alice", "a.png", png())
    filed.deploy_paths([diagram_with(tmp_path, start_properties='<spiffworkflow:property name="attachments" value="off"/>')],
                       "owen")
    with pytest.raises(NotAllowed) as stage_off:
        filed.stage_attachment(PROCESS, "alice", "b.png", png())
    assert stage_off.value.reason == "staple_off"
    with pytest.raises(NotAllowed) as start_off:
        filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10, "photos": [staged.id]})
    assert start_off.value.reason == "staple_off"
    off = filed.start(PROCESS, "alice", {"customer": "华星电子", "amount": 10})
    with pytest.raises(NotAllowed) as request_off:
        filed.attach(off.id, "alice", "x.pdf", pdf())
    assert request_off.value.reason == "staple_off"


def test_the_disk_store_keeps_bytes_by_sha256_and_notices_a_changed_file(tmp_path):
    store = DiskStore(tmp_path / "files")
    sha = store.put(pdf())
    assert sha == hashlib.sha256(pdf()).hexdigest() and store.exists(sha) and store.get(sha) == pdf()
    assert store.put(pdf()) == sha  # stored once
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [sha]
    path = tmp_path / "files" / sha[:2] / sha[2:4] / sha
    path.chmod(0o640)
    path.write_bytes(HTML)
    with pytest.raises(FileMissing) as altered:
        store.get(sha)
    assert altered.value.reason == "altered"
    with pytest.raises(FileMissing) as missing:
        store.get("0" * 64)
    assert missing.value.reason == "missing" and not store.exists("0" * 64)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")
