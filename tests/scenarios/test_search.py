"""Finding requests by record number, customer, id or text: the lists, the inbox and old requests."""
from __future__ import annotations

from sqlalchemy import update

from engine.storage.models import ProcessInstance
from tests.scenarios.test_tour_approval import PROCESS, application, approve_key, eng, tour  # noqa: F401 (eng: fixture)
from tests.scenarios.walk import do, task_for


def ids(views):
    return [v.id for v in views]


def test_a_permit_number_customer_or_id_finds_the_request(eng, clock):
    key = eng.start(PROCESS, "liuyang", application(clock, "key"))
    other = eng.start(PROCESS, "chenjing", application(clock, "ordinary", 30, customer="厦门面料公司"))
    approve_key(eng, key)
    permit = tour(eng, key).permit_no  # CG-2026-0001, given by a service task on the way
    assert ids(eng.instances(text=permit)) == [key.id]
    assert ids(eng.instances(text=permit.lower())) == [key.id]  # case does not matter
    assert ids(eng.instances(text="厦门面料")) == [other.id]  # the customer, part of the name
    assert ids(eng.instances(text=str(other.id))) == [other.id]  # "2": the id, not every "2026" in a number
    assert ids(eng.instances(text="2026")) == [key.id]  # four digits and more: the numbers too
    assert ids(eng.instances(text="CG-")) == [key.id]
    assert eng.instances(text="100%") == [] and eng.instances(text="_") == []  # wildcards are text
    assert set(ids(eng.instances(text=" "))) == {key.id, other.id}  # blank: no filter

    # the number stays findable after the request ends
    do(eng, "maliang", key, "gate", {"arrived": True, "badges_issued": 6})
    assert ids(eng.instances(text=permit)) == [key.id]

    # the inbox finds the task of the request by the same words, and only it
    task = task_for(eng, "lina", other, "am_approve")
    found, _processes = eng.task_page("lina", "all", text="厦门")
    assert [t.id for t in found.items] == [task.id] and found.total == 1
    assert eng.task_page("lina", "all", text="福州")[0].total == 0


def test_requests_saved_before_search_existed_are_indexed_on_upgrade(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    approve_key(eng, inst)
    permit = tour(eng, inst).permit_no
    with eng.sa_engine.begin() as conn:  # as the column was after the migration, before any save
        conn.execute(update(ProcessInstance.__table__).values(search_text=None))
    assert eng.instances(text=permit) == []
    assert ids(eng.instances(text="福州纺织")) == [inst.id]  # the title still finds it meanwhile
    assert eng.reindex_search() == 1 and eng.reindex_search() == 0
    assert ids(eng.instances(text=permit)) == [inst.id]
