"""What a request can be found by: its title (process name and subject) and the identifiers its procedure
names (record numbers such as CG-2026-0001), kept in `process_instance.search_text`.

The text only grows: an identifier once seen in the request's data stays findable after later steps
change or drop it. Lists search it with a case-insensitive substring match; a number alone also finds the
request with that id (see `matching`)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import func, or_, select, update

from .directory import SYSTEM_USER
from .storage.models import ProcessInstance

MAX_CHARS = 2000
_SEP = "\n"


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the data, or None."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def current_data(workflow) -> Mapping[str, Any]:
    """The data a request holds now: the final data once ended, else the last completed task's."""
    if workflow.is_completed():
        return workflow.data
    task = workflow.last_task or workflow.task_tree
    return task.data


def search_text(previous: str | None, title: str, data: Mapping[str, Any], paths: Iterable[str]) -> str:
    """The request's search text: what it held before, its title, and every identifier present now."""
    terms = dict.fromkeys((previous or "").split(_SEP))
    terms[title] = None
    for path in paths:
        value = lookup(data, path)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            terms[str(value).strip()] = None
    return _SEP.join(t for t in terms if t)[:MAX_CHARS]


def matching(text: str):
    """The condition "this request matches the search": a case-insensitive substring of its search text
    (its title for rows not indexed yet). A number finds the request with that id; a short one (under
    four digits, like "12") only that, not every record number or year containing it."""
    text = text.strip()
    found = func.lower(func.coalesce(ProcessInstance.search_text, ProcessInstance.title)).contains(
        text.lower(), autoescape=True)
    if not text.isdigit():
        return found
    by_id = ProcessInstance.id == int(text)
    return by_id if len(text) < 4 else or_(by_id, found)


class SearchVerbs:
    """Mixed into Engine; relies on its `session`, `_unit`, `_workflow` and `search_paths`."""

    def reindex_search(self, batch: int = 200) -> int:
        """Give every request saved before search existed its search text (read from its state); returns
        how many were indexed. Requests saved since are indexed by their own saves."""
        done = 0
        while True:
            with self.session() as s:
                ids = list(s.scalars(select(ProcessInstance.id).where(ProcessInstance.search_text.is_(None))
                                    .order_by(ProcessInstance.id).limit(batch)))
            if not ids:
                return done
            for instance_id in ids:
                with self.session() as s:
                    title = s.scalar(select(ProcessInstance.title).where(ProcessInstance.id == instance_id))
                    try:
                        data = current_data(self._workflow(s, instance_id))
                    except Exception:  # a state that cannot be read now is still found by its title
                        data = {}
                    text = search_text(None, title, data, self.search_paths)
                self._unit(SYSTEM_USER, lambda unit, i=instance_id, t=text: unit.session.execute(  # where still unset
                    update(ProcessInstance.__table__).where(ProcessInstance.id == i, ProcessInstance.search_text.is_(None))
                    .values(search_text=t)))
                done += 1
