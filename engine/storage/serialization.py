"""Instance state <-> JSON, with the spec referenced by definition id instead of copied in.

SpiffWorkflow's serializer (spiff config, matching the spiff parser) writes the whole parsed spec into
every instance; our converter leaves `spec` and `subprocess_specs` out and the loader re-attaches the
cached specs of the instance's pinned definition. `SERIALIZER_VERSION` is ours; a change to the stored
shape adds a step to `MIGRATIONS`.
"""
from __future__ import annotations

import json
import threading
from typing import Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from ..runtime import tree_walks

SERIALIZER_VERSION = "approvals-1"
# stored version -> function(dict) -> (dict, next version), applied until SERIALIZER_VERSION
MIGRATIONS: dict[str, Callable[[dict], tuple[dict, str]]] = {}


class SpecRefWorkflowConverter(BpmnWorkflowConverter):
    """Like SpiffWorkflow's converter, without the specs."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    from uuid import UUID
    return UUID(value)


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = SpecRefWorkflowConverter
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    # The serializer flips shared encoder state while it works: one per thread.
    ser = getattr(_local, "serializer", None)
    if ser is None:
        ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config), version=SERIALIZER_VERSION)
        _local.serializer = ser
    return ser


def registry():
    """The serializer registry (SpiffWorkflow's spec diff compares specs through it)."""
    return _serializer().registry


def dumps(workflow: BpmnWorkflow) -> str:
    """The instance state as JSON (no spec inside)."""
    return _serializer().serialize_json(workflow)


def loads(state: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    """Rebuild a workflow from its JSON and its pinned specs; re-attach the script engine."""
    ser = _serializer()
    dct = json.loads(state)
    version = dct.pop(ser.VERSION_KEY, SERIALIZER_VERSION)
    while version != SERIALIZER_VERSION:
        if version not in MIGRATIONS:
            raise ValueError(f"no migration from serializer version {version!r}")
        dct, version = MIGRATIONS[version](dct)
    workflow = ser.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    tree_walks.install_on_workflow(workflow)  # removing a long path's tasks needs no recursion
    return workflow
