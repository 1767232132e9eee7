"""Multi-instance user tasks: parallel by cardinality, parallel over a collection (input and output
collections), parallel with a completion condition, sequential over a collection."""
from __future__ import annotations

from .conftest import complete, expect_open


def test_parallel_mi_with_loop_cardinality(bpmn):
    raw, eng = bpmn.run_both(["mi_cardinality.bpmn"], "mi_cardinality", {}, [
        expect_open("sign", "sign", "sign"),
        complete("sign", {"decision": "approve"}),
        expect_open("sign", "sign"),
        complete("sign", {"decision": "reject"}),
        complete("sign", {"decision": "approve"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "sign")] * 3 + [("step_completed", "count_votes"), ("step_completed", "end")]
    assert eng.data["votes"] == raw.data["votes"] == ["approve", "reject", "approve"]
    assert eng.data["approvals"] == 2
    assert [t.status for t in eng.tasks] == ["completed"] * 3
    assert len({t.task_guid for t in eng.tasks}) == 3


def test_parallel_mi_over_a_collection_offers_each_item_to_its_signer(bpmn):
    def opinion(data):
        return {"opinion": "disagree" if data["signer"] == "carol" else "agree"}

    raw, eng = bpmn.run_both(["mi_collection.bpmn"], "mi_collection", {"signers": ["bob", "carol", "dave"]}, [
        expect_open("countersign", "countersign", "countersign"),
        complete("countersign", opinion, times=3),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "countersign")] * 3 + [("step_completed", "tally"), ("step_completed", "end")]
    # each instance went to the person its input item names (candidateVariable), and that person did it
    assert sorted((t.assignee, t.completed_by) for t in eng.tasks) == [("bob", "bob"), ("carol", "carol"),
                                                                       ("dave", "dave")]
    assert eng.data["opinions"] == raw.data["opinions"] == ["agree", "disagree", "agree"]
    assert (eng.data["agreed"], eng.data["unanimous"]) == (2, False)
    assert "signer" not in eng.data and "opinion" not in eng.data


def test_parallel_mi_completion_condition_cancels_the_remaining_instances(bpmn):
    raw, eng = bpmn.run_both(["mi_completion.bpmn"], "mi_completion", {}, [
        complete("vote", {"decision": "approve"}),
        expect_open("vote", "vote"),
        complete("vote", {"decision": "reject"}),    # the condition sees this finished instance's data
        expect_open(),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "vote"), ("completed", "vote"), ("step_completed", "outcome"),
                        ("step_completed", "end")]
    assert eng.data["vetoed"] is raw.data["vetoed"] is True
    assert sorted(t.status for t in eng.tasks) == ["cancelled", "completed", "completed"]


def test_parallel_mi_completion_condition_never_true_runs_every_instance(bpmn):
    raw, eng = bpmn.run_both(["mi_completion.bpmn"], "mi_completion", {}, [
        complete("vote", {"decision": "approve"}, times=3),
    ])
    assert eng.status == "completed"
    assert eng.ids("completed") == ["vote"] * 3
    assert eng.data["vetoed"] is False


def test_sequential_mi_runs_one_instance_at_a_time_in_order(bpmn):
    seen = []

    def do(data):
        seen.append(data["step"])
        return {"result": data["step"] + " ok"}

    raw, eng = bpmn.run_both(["mi_sequential.bpmn"], "mi_sequential", {}, [
        expect_open("do_step"),
        complete("do_step", do),
        expect_open("do_step"),
        complete("do_step", do),
        expect_open("do_step"),
        complete("do_step", do),
    ])
    assert eng.status == "completed"
    assert seen == ["measure", "cut", "polish"] * 2          # raw, then the engine
    assert eng.path == [("step_completed", "plan")] + [("completed", "do_step")] * 3 + \
        [("step_completed", "report"), ("step_completed", "end")]
    assert eng.data["results"] == raw.data["results"] == ["measure ok", "cut ok", "polish ok"]
    assert eng.data["report"] == "measure ok, cut ok, polish ok"
    assert [t.status for t in eng.tasks] == ["completed"] * 3
