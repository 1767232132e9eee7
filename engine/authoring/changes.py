"""What changed between two versions of a diagram, in plain words for the process owner."""
from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from .specs import BPMN_NS
from .xmlsafe import parse_xml

_B = f"{{{BPMN_NS}}}"
_S = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_FLOW_NODES = {"userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "task", "callActivity",
               "subProcess", "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
               "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "sendTask",
               "receiveTask"}
_TIMERS = ("timeDuration", "timeDate", "timeCycle")


@dataclass(frozen=True)
class Change:
    """One difference: `kind` is a stable code, `text` the plain-words sentence."""

    kind: str
    element_id: str
    name: str | None
    text: str
    before: str | None = None
    after: str | None = None


def _text(node) -> str | None:
    return (node.text or "").strip() or None if node is not None else None


def _elements(xml: str) -> tuple[dict[str, dict], dict[str, dict]]:
    root, problems = parse_xml(xml.encode("utf-8"), "diagram")
    if root is None:
        raise ValueError(str(problems[0]))
    lanes = {ref.text.strip(): lane.get("name") for lane in root.iter(f"{_B}lane")
             for ref in lane.iter(f"{_B}flowNodeRef") if ref.text}
    nodes, flows = {}, {}
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
            continue
        local = etree.QName(el).localname
        if local in _FLOW_NODES:
            props = {p.get("name"): p.get("value") for p in el.iter(f"{_S}property")}
            timer = next((_text(t) for name in _TIMERS for t in el.iter(f"{_B}{name}")), None)
            nodes[el.get("id")] = {
                "type": local, "name": el.get("name"), "lane": lanes.get(el.get("id")),
                "form": props.get("formJsonSchemaFilename"), "timer": timer,
                "script": _text(el.find(f"{_B}script")),
                "operator": next((o.get("id") for o in el.iter(f"{_S}serviceTaskOperator")), None),
                "called": el.get("calledElement"),
            }
        elif local == "sequenceFlow":
            flows[el.get("id")] = {"name": el.get("name"), "source": el.get("sourceRef"), "target": el.get("targetRef"),
                                   "condition": _text(el.find(f"{_B}conditionExpression"))}
    return nodes, flows


def _label(node: dict, element_id: str) -> str:
    return f"“{node['name']}” ({element_id})" if node.get("name") else element_id


def describe_changes(old_xml: str, new_xml: str) -> list[Change]:
    """Tasks added, removed or renamed; lanes, forms, timers, scripts, conditions and flows changed."""
    old_nodes, old_flows = _elements(old_xml)
    new_nodes, new_flows = _elements(new_xml)
    out: list[Change] = []
    for eid in sorted(new_nodes.keys() - old_nodes.keys()):
        n = new_nodes[eid]
        out.append(Change("added", eid, n["name"], f"{n['type']} {_label(n, eid)} added"
                          + (f" in lane {n['lane']}" if n["lane"] else "")))
    for eid in sorted(old_nodes.keys() - new_nodes.keys()):
        n = old_nodes[eid]
        out.append(Change("removed", eid, n["name"], f"{n['type']} {_label(n, eid)} removed"))
    for eid in sorted(old_nodes.keys() & new_nodes.keys()):
        old, new = old_nodes[eid], new_nodes[eid]
        label = _label(new, eid)
        for key, kind, what in (("name", "renamed", "renamed"), ("lane", "lane_changed", "moved to another lane"),
                                ("form", "form_changed", "uses another form"),
                                ("timer", "timer_changed", "timer changed"),
                                ("script", "script_changed", "script changed"),
                                ("operator", "operator_changed", "calls another service operator"),
                                ("called", "call_changed", "calls another process")):
            if old[key] != new[key]:
                if key == "name":
                    text = f"{eid} renamed from “{old['name'] or ''}” to “{new['name'] or ''}”"
                else:
                    text = f"{label} {what}: {old[key] or '(none)'} → {new[key] or '(none)'}"
                out.append(Change(kind, eid, new["name"], text, old[key], new[key]))
    for fid in sorted(new_flows.keys() - old_flows.keys()):
        f = new_flows[fid]
        out.append(Change("flow_added", fid, f["name"], f"new path {f['source']} → {f['target']}"
                          + (f" when {f['condition']}" if f["condition"] else "")))
    for fid in sorted(old_flows.keys() - new_flows.keys()):
        f = old_flows[fid]
        out.append(Change("flow_removed", fid, f["name"], f"path {f['source']} → {f['target']} removed"))
    for fid in sorted(old_flows.keys() & new_flows.keys()):
        old, new = old_flows[fid], new_flows[fid]
        if old["condition"] != new["condition"]:
            out.append(Change("condition_changed", fid, new["name"],
                              f"condition on {new['source']} → {new['target']} changed: "
                              f"{old['condition'] or '(none)'} → {new['condition'] or '(none)'}",
                              old["condition"], new["condition"]))
        if (old["source"], old["target"]) != (new["source"], new["target"]):
            out.append(Change("flow_rerouted", fid, new["name"],
                              f"path {fid} now goes {new['source']} → {new['target']}"))
    return out


def _fields(text: str | None) -> dict[str, dict]:
    try:
        schema = json.loads(text) if text else {}
    except ValueError:
        return {}
    required = set(schema.get("required", [])) if isinstance(schema, dict) else set()
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return {name: {**spec, "required": name in required} for name, spec in props.items() if isinstance(spec, dict)}


def describe_form_changes(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    """Fields added, removed or changed (title, type, choices, required, limits) in the form files a new
    version deploys, against the files deployed with the newest version (filename -> JSON text)."""
    out: list[Change] = []
    for filename in sorted(set(old) | set(new)):
        if old.get(filename) == new.get(filename) or filename.endswith(".uischema.json"):
            continue
        before, after = _fields(old.get(filename)), _fields(new.get(filename))
        for name in sorted(after.keys() - before.keys()):
            out.append(Change("form_field_added", filename, name, f"{filename}: field {name} added"
                              + (" (required)" if after[name]["required"] else ""), None, after[name].get("title")))
        for name in sorted(before.keys() - after.keys()):
            out.append(Change("form_field_removed", filename, name, f"{filename}: field {name} removed",
                              before[name].get("title"), None))
        for name in sorted(before.keys() & after.keys()):
            if before[name] != after[name]:
                what = ", ".join(k for k in sorted(set(before[name]) | set(after[name]))
                                 if before[name].get(k) != after[name].get(k))
                out.append(Change("form_field_changed", filename, name, f"{filename}: field {name} changed ({what})",
                                  json.dumps(before[name], ensure_ascii=False),
                                  json.dumps(after[name], ensure_ascii=False)))
    return out
