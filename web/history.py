"""An instance's audit trail as people read it: who did what when, with the submitted data labelled."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from engine import Engine, EngineError
from engine import FormView
from engine import AuditView, InstanceView, TaskView

from .formspec import decision_of, fields_of
from .present import MACHINE_ACTORS, OUTCOME_WORDS, as_text, file_size, person, side_decision, side_kind, when
from .taskforms import labelled

DETAIL_LABELS = {
    "reason": _l("Reason"),
    "from": _l("From"),
    "to": _l("To"),
    "name": _l("Step"),
    "error": _l("Error"),
    "version": _l("Version"),
    "subject": _l("Subject"),
    "payload": _l("Content"),
    "by": _l("Sent by"),
    "from_instance": _l("From request"),
    "delivered_to": _l("Delivered to requests"),
    "started": _l("Requests started"),
    "body": _l("Message"),
    "at": _l("Time"),
    "outcome": _l("Outcome"),
    "label": _l("Ended at"),
    "text": _l("Comment"),
    "mentions": _l("Mentioned"),
    "note": _l("Note"),
    "step": _l("Back to"),
    "years": _l("Years"),
    "file": _l("File"),
    "size": _l("Size"),
    "sha256": "SHA-256",
    "kind": _l("Asked as"),
    "opinion": _l("Opinion"),
    "decision": _l("Decision"),
    "asked_by": _l("Asked by"),
}
PEOPLE_KEYS = ("from", "to", "by", "mentions", "asked_by")
TIME_KEYS = ("at",)
# what the engine does on its own: folded under "automatic steps" for people, shown in full to auditors
AUTOMATIC = ("step_completed", "timer_fired", "notified", "message_sent", "message_received", "signal_sent",
             "signal_received", "message_undelivered", "signal_undelivered", "repaired")
# name: the step's name is already the entry's title; a rework's earlier answers and how a return
# continues are the auditors' (the full audit shows the raw data)
HIDDEN_KEYS = ("implicit", "title", "form", "name", "side_task", "before", "mode")


@dataclass
class Entry:
    """One audit event with its data ready to show."""

    event: AuditView
    title: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)
    decision: str = ""  # the label of the decision taken, when the form had one
    decision_value: str = ""
    repeats: int = 1  # the same automatic entry, this many times in a row

    @property
    def automatic(self) -> bool:
        return self.event.kind in AUTOMATIC and self.event.actor in MACHINE_ACTORS


@dataclass
class Fold:
    """Automatic steps between two people's actions, shown folded to people who are not auditors."""

    entries: list[Entry]

def forms_of(engine: Engine, instance: InstanceView) -> dict[str | None, FormView]:
    """The forms of the instance's own version, by BPMN task id (None: the start form)."""
    try:
        return engine.instance_forms(instance.id)
    except EngineError:  # a version deployed before forms were stored, whose file is gone: raw keys
        return {}


def _details(data: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for key, value in data.items():
        if key in HIDDEN_KEYS or value in (None, "", {}, []):
            continue
        if key in PEOPLE_KEYS:
            text = ", ".join(person(v) for v in value) if isinstance(value, list) else person(value)
        elif key in TIME_KEYS:
            text = when(value)
        elif key == "outcome":
            text = str(OUTCOME_WORDS.get(value, value))
        elif key == "kind":
            text = side_kind(value)
        elif key == "decision":
            text = side_decision(value)
        else:
            text = as_text(value)
        pairs.append((str(DETAIL_LABELS.get(key, key)), text))
    return pairs


def entry(event: AuditView, forms: dict[str | None, FormView], titles: dict[str, str], full: bool = True) -> Entry:
    data = event.data or {}
    if event.kind in ("completed", "started"):
        form = forms.get(event.bpmn_id if event.kind == "completed" else None)
        submitted = data.get("form") or {}
        item = Entry(event, str(data.get("title") or titles.get(event.bpmn_id or "", "")), labelled(form, submitted))
        decision = submitted.get("decision")
        if decision is not None and form is not None:
            spec = decision_of(fields_of(form))
            item.decision = spec.label_of(decision) if spec else str(decision)
            item.decision_value = str(decision)
            item.pairs = [p for p in item.pairs if spec is None or p[0] != spec.title]
        return item
    if event.kind in ("attached", "attachment_removed"):
        shown = {"file": data.get("name"), "size": file_size(data["size"]) if "size" in data else None,
                 "sha256": data.get("sha256") if full else None}
        return Entry(event, titles.get(event.bpmn_id or "", ""), _details(shown))
    if event.kind == "reworked":  # the redone step's answers, labelled by its own form
        details = _details({k: v for k, v in data.items() if k not in ("step", "kind", "asked_by")})
        return Entry(event, str(data.get("step") or ""), labelled(forms.get(event.bpmn_id), data.get("form") or {})
                     + details)
    # An automatic step's raw result is for auditors and process owners; others see that it ran.
    details = _details(data) if full or event.kind != "step_completed" else []
    return Entry(event, titles.get(event.bpmn_id or "", "") or str(data.get("name") or ""), details)


def timeline(engine: Engine, instance: InstanceView, tasks: list[TaskView] | None = None,
             full: bool = True) -> list[Entry]:
    tasks = engine.instance_tasks(instance.id) if tasks is None else tasks
    return entries(engine.audit_trail(instance.id), forms_of(engine, instance), tasks, full)


def entries(audit, forms: dict[str | None, FormView], tasks, full: bool = True) -> list[Entry]:
    """The audit trail as entries, labelled with the instance's own forms and its tasks' titles."""
    titles = {t.bpmn_id: t.title for t in tasks}
    return [entry(e, forms, titles, full) for e in audit]


# what a task page shows of the steps before it: decisions, returns, comments and what 加签 asked and got
SHOWN_BEFORE = ("started", "completed", "returned", "commented", "signers_added", "opinion_given", "countersigned",
                "reworked")


def decisions(entries: list[Entry], before_guid: str | None = None) -> list[Entry]:
    """The request as submitted, every completed task, the returns and the comments (up to a task's own
    completion, when given)."""
    out = []
    for item in entries:
        if before_guid and item.event.task_guid == before_guid and item.event.kind == "completed":
            break
        if item.event.kind in SHOWN_BEFORE:
            out.append(item)
    return out


def for_people(items: list[Entry]) -> list[Entry | Fold]:
    """One line per person's action; the automatic steps between them folded, identical ones collapsed
    ("通知已发送 ×5")."""
    out: list[Entry | Fold] = []
    for item in items:
        if not item.automatic:
            out.append(item)
            continue
        if not out or not isinstance(out[-1], Fold):
            out.append(Fold([]))
        fold = out[-1].entries
        if fold and _same(fold[-1], item):
            fold[-1].repeats += 1
        else:
            fold.append(item)
    return out


def _same(a: Entry, b: Entry) -> bool:
    return (a.event.kind, a.title, [p for p in a.pairs if p[0] != str(DETAIL_LABELS["at"])]) == \
        (b.event.kind, b.title, [p for p in b.pairs if p[0] != str(DETAIL_LABELS["at"])])
