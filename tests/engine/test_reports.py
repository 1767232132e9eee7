"""Reports an extension declares: read at the engine's time by their groups, process owners and auditors;
refused with reason codes to anyone else and for unknown names."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import Engine, NotAllowed, NotFound
from engine.extensions import Extension, Report, ReportColumn
from engine.storage.models import ProcessInstance


def open_requests(session, now):
    count = session.scalar(select(func.count()).select_from(ProcessInstance).where(ProcessInstance.status == "running"))
    return [{"open": count, "at": now.isoformat()}]


REPORT = Report("open", {"zh_CN": "进行中的申请", "en": "Open requests"},
                (ReportColumn("open", {"zh_CN": "进行中", "en": "Open"}),), open_requests, readers=("cs_manager",))


@pytest.fixture
def eng(small):
    return Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock,
                  extensions=(Extension("test", reports=(REPORT,)),))


def test_the_groups_named_process_owners_and_auditors_read_a_report(eng):
    eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    view = eng.report("open", "bob")
    assert view.report is REPORT and view.rows == ({"open": 1, "at": eng.now().isoformat()},)  # UTC
    assert view.at == eng.now()
    assert eng.report("open", "owen").rows[0]["open"] == 1  # process owner
    assert [r.name for r in eng.reports("bob")] == ["open"]
    assert eng.report_readers() == {"cs_manager", "process_owner", "auditor"}


def test_others_and_unknown_names_are_refused_with_reasons(eng):
    with pytest.raises(NotAllowed) as refused:
        eng.report("open", "alice")
    assert refused.value.reason == "not_report_reader"
    with pytest.raises(NotFound) as missing:
        eng.report("nothing", "bob")
    assert missing.value.reason == "no_report"
    assert eng.reports("alice") == [] and eng.reports("mallory") == []


def test_an_engine_without_reports_offers_none(small):
    assert small.reports("owen") == [] and small.report_readers() == frozenset()


def test_an_export_is_recorded_in_the_system_audit_chain_and_a_refused_one_is_not(eng):
    view = eng.report("open", "bob", export=True)
    assert view.rows == ({"open": 0, "at": eng.now().isoformat()},)
    with pytest.raises(NotAllowed):
        eng.report("open", "alice", export=True)
    [exported] = eng.search_audit(kind="report_exported")
    assert (exported.actor, exported.chain, exported.data) == ("bob", "system", {"report": "open", "rows": 1})
    assert eng.verify_audit()[1] == []
