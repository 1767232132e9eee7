"""The forms an instance is validated and shown with: those deployed with its own version."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .authoring import forms as formlib
from .authoring.specs import start_event
from .runtime.projection import task_properties
from .storage.models import DefinitionForm, HumanTask, ProcessInstance, get_row


class FormReads:
    """Mixed into Engine; relies on its `session`, `forms`, `specs` and `_newest`."""

    def _form(self, s: Session, definition_ids, schema_file: str | None,
              ui_file: str | None = None) -> formlib.FormView:
        """A form as deployed with an instance's version or a process it calls (the forms folder only for
        versions deployed before forms were stored); `definition_ids`: the instance's own first."""
        stored: dict[str, Any] = {}
        older = False  # a version deployed before forms were stored with it
        for definition_id in reversed(list(definition_ids)):
            forms = self.forms.deployed(definition_id, lambda d=definition_id: s.scalars(
                select(DefinitionForm).where(DefinitionForm.definition_id == d)))
            stored.update(forms)
            older = older or not forms
        return self.forms.form(schema_file, ui_file, stored, from_disk=older)

    def _start_form(self, s: Session, definition_id: int, spec) -> formlib.FormView:
        props = task_properties(start_event(spec))
        return self._form(s, [definition_id], props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename"))

    def start_form(self, process_id: str) -> formlib.FormView:
        """The form a user fills to start the newest version of a process."""
        with self.session() as s:
            definition, _deps, spec, _subs = self._newest(s, process_id)
            return self._start_form(s, definition.id, spec)

    def task_form(self, task_id: int) -> formlib.FormView:
        """A task's form as deployed with its instance's version."""
        with self.session() as s:
            row = get_row(s, HumanTask, task_id)
            instance = get_row(s, ProcessInstance, row.instance_id)
            return self._form(s, form_versions(instance), row.form, row.ui_form)

    def instance_forms(self, instance_id: int) -> dict[str | None, formlib.FormView]:
        """Every form of an instance's own version: its start form (key None) and each user task's
        (by BPMN id), so old submissions are shown with the form they were made with."""
        with self.session() as s:
            return self._instance_forms(s, get_row(s, ProcessInstance, instance_id))

    def _instance_forms(self, s: Session, instance: ProcessInstance) -> dict[str | None, formlib.FormView]:
        spec, subprocess_specs = self.specs.get(s, instance.definition_id, instance.dependency_ids)
        forms: dict[str | None, formlib.FormView] = {None: self._start_form(s, instance.definition_id, spec)}
        for process_spec in [spec, *subprocess_specs.values()]:
            for task_spec in process_spec.task_specs.values():
                props = task_properties(task_spec)
                if getattr(task_spec, "manual", False) and props.get("formJsonSchemaFilename"):
                    forms.setdefault(task_spec.bpmn_id, self._form(
                        s, form_versions(instance), props["formJsonSchemaFilename"], props.get("formUiSchemaFilename")))
        return forms


def form_versions(instance: ProcessInstance) -> list[int]:
    """The definitions whose forms an instance uses: its own, then the processes and tables it calls."""
    return [instance.definition_id, *instance.dependency_ids]
