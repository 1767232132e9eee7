"""Replay before deploy on every procedure: the demo company's requests, replayed through an unchanged
copy of their own version, all take the same path (so a difference the page shows is the change's)."""
from __future__ import annotations

import pytest

from procedures.demo import load_demo
from tests.conftest import DEMO_USERS, FORMS, PROCEDURES, WORKFLOWS, build_engine


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'company.sqlite3'}"
    engine = build_engine(url, None, DEMO_USERS, FORMS, extensions=PROCEDURES)
    engine.deploy_paths(sorted(WORKFLOWS.glob("*.bpmn")) + sorted(WORKFLOWS.glob("*.dmn")), "luoming")
    load_demo(engine)
    yield engine
    engine.sa_engine.dispose()


PROCESSES = sorted(p.stem for p in WORKFLOWS.glob("*.bpmn"))


@pytest.mark.parametrize("process_id", PROCESSES)
def test_an_unchanged_version_replays_every_request_on_the_same_path(company, process_id):
    [definition] = company.definitions(process_id)[-1:]
    xml = company.definition_xml(definition.id)
    draft = company.save_draft(process_id, definition.filename, xml, "luoming", base_version=definition.version)
    report = company.replay_draft(draft.id, "luoming")
    assert report.requests, f"the demo has requests of {process_id}"
    different = {r.instance_id: r.outcome for r in report.requests if r.outcome.verdict != "same"}
    assert {i: (o.verdict, o.why, o.error, o.element, o.was, o.now) for i, o in different.items()} == {}
