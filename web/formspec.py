"""A task form as a list of widgets: JSON Schema + UI schema -> what the Jinja2 macros render."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l

from engine import FormView

DECISION = "decision"
ATTACHMENTS = "attachments"  # an array of attachment ids (engine.staples.attachments): a multi-file input
LONG_TEXT = 300  # text that may be this long gets a textarea unless the UI schema says otherwise


def key_of(value: Any) -> str:
    """A JSON value as it travels in an HTML form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Option:
    """One choice of an enum: the JSON value and the label people read."""

    value: Any
    label: str

    @property
    def key(self) -> str:
        return key_of(self.value)


@dataclass(frozen=True)
class FieldSpec:
    """One input: `widget` picks the macro, `type` says how the posted text becomes JSON."""

    name: str
    title: str
    widget: str  # text email textarea number date datetime select radio checkbox yesno
    #              checkboxes multiselect lines rows json hidden decision lookup files
    type: str  # string integer number boolean array object
    required: bool = False
    help: str = ""
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    item_type: str = "string"
    columns: tuple[FieldSpec, ...] = ()
    # shown (and then required) only while another field holds one of these values: (field, value keys),
    # read from the schema's own `if`/`then` (see `conditions`)
    shown_when: tuple[str, tuple[str, ...]] | None = None
    default: str | None = None  # `ui:default`: now, today, me (see web.taskforms.defaults)
    lookup: str = ""  # the register a `lookup` widget picks from (`ui:options` {"lookup": name})

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(o.key, o.label) for o in self.options]

    @property
    def step(self) -> str:
        return "1" if self.type == "integer" else "any"

    def label_of(self, value: Any) -> str:
        """The option label for a stored value (the value itself when it is not an option)."""
        for option in self.options:
            if option.value == value or option.key == str(value):
                return option.label
        return "" if value is None else str(value)


def _json_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):  # ["string", "null"]: the non-null one decides the widget
        kind = next((k for k in kind if k != "null"), "string")
    if "enum" in prop and "type" not in prop:
        values = prop["enum"]
        kind = "boolean" if all(isinstance(v, bool) for v in values) else \
            "integer" if all(isinstance(v, int) for v in values) else "string"
    return kind


def _options(prop: dict[str, Any]) -> tuple[Option, ...]:
    if "enum" in prop:
        names = prop.get("x-enumNames") or []
        return tuple(Option(v, str(names[i]) if i < len(names) else str(v)) for i, v in enumerate(prop["enum"]))
    if isinstance(prop.get("oneOf"), list) and all("const" in o for o in prop["oneOf"]):
        return tuple(Option(o["const"], str(o.get("title", o["const"]))) for o in prop["oneOf"])
    return ()


def _widget(name: str, prop: dict[str, Any], ui: dict[str, Any], kind: str, options: tuple[Option, ...]) -> str:
    wanted = ui.get("ui:widget", "")
    if wanted == "hidden":
        return "hidden"
    if options and (name == DECISION or wanted == "decision"):
        return "decision"
    if kind == "array" and prop.get("format") == ATTACHMENTS:
        return "files"
    if kind == "array":
        items = prop.get("items") or {}
        if _json_type(items) == "object":
            return "rows"
        if _options(items):
            return "checkboxes" if wanted in ("checkboxes", "checkbox") else "multiselect"
        return "lines"
    if kind == "boolean":
        return "yesno" if wanted == "radio" else "checkbox"
    if options:
        return "radio" if wanted == "radio" else "select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "object":
        return "json"
    fmt = prop.get("format")
    if wanted == "date" or fmt == "date":
        return "date"
    if wanted in ("datetime", "date-time") or fmt == "date-time":
        return "datetime"
    if wanted == "textarea" or (not wanted and (prop.get("maxLength") or 0) >= LONG_TEXT):
        return "textarea"
    if wanted == "email" or fmt == "email":
        return "email"
    if wanted == "lookup" and (ui.get("ui:options") or {}).get("lookup"):
        return "lookup"
    return "text"


def conditions(schema: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Fields the schema requires only under a condition on one other field (`allOf` of `if` {that field:
    const or enum} `then` {required: [...]}) -> (that field, the values as form keys). Such a field is
    shown only while the condition holds; the engine's validation enforces it either way."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for rule in schema.get("allOf") or ():
        when, then = (rule or {}).get("if") or {}, (rule or {}).get("then") or {}
        props = when.get("properties") or {}
        if len(props) != 1 or not then.get("required"):
            continue
        (field, test), = props.items()
        values = [test["const"]] if "const" in test else test.get("enum")
        if not isinstance(values, list):
            continue
        for name in then["required"]:
            found.setdefault(name, (field, tuple(key_of(v) for v in values)))
    return found


def field_spec(name: str, prop: dict[str, Any], ui: dict[str, Any], required: bool,
               shown_when: tuple[str, tuple[str, ...]] | None = None) -> FieldSpec:
    kind = _json_type(prop)
    options = _options(prop)
    widget = _widget(name, prop, ui, kind, options)
    items = prop.get("items") or {}
    columns: tuple[FieldSpec, ...] = ()
    if widget in ("checkboxes", "multiselect"):
        options = _options(items)
    if widget == "rows":
        item_ui = ui.get("items") or {}
        columns = tuple(field_spec(sub, items.get("properties", {})[sub], item_ui.get(sub) or {},
                                   sub in items.get("required", []))
                        for sub in _ordered(items, item_ui))
    helps = [str(text) for text in (ui.get("ui:help"), prop.get("description")) if text]
    return FieldSpec(
        name=name, title=str(prop.get("title") or name), widget=widget, type=kind, required=required,
        help=" ".join(helps), placeholder=str(ui.get("ui:placeholder") or ""), options=options,
        minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
        maximum=prop.get("maximum", prop.get("exclusiveMaximum")),
        max_length=prop.get("maxLength"), item_type=_json_type(items) if kind == "array" else "string",
        columns=columns, shown_when=shown_when if not required else None,
        default=str(ui["ui:default"]) if ui.get("ui:default") else None,
        lookup=str((ui.get("ui:options") or {}).get("lookup") or "") if widget == "lookup" else "")


def _ordered(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    props = list(schema.get("properties", {}))
    order = [f for f in ui.get("ui:order", []) if f in props]
    return order + [f for f in props if f not in order]


def fields_of(form: FormView) -> list[FieldSpec]:
    """Every field of the form in UI order (the decision field too: it becomes the submit buttons)."""
    props = form.schema.get("properties", {})
    required = set(form.schema.get("required", []))
    when = conditions(form.schema)
    specs = {name: field_spec(name, props[name], form.ui.get(name) or {}, name in required, when.get(name))
             for name in form.fields}
    for name, spec in specs.items():
        control = specs.get(spec.shown_when[0]) if spec.shown_when else None
        if control is not None and control.widget == "decision":
            # the decision is the button pressed: nothing to show the field by before it is pressed, so the
            # field stays in view and says when it is needed ("选择「驳回」时必填")
            labels = "、".join(f"「{control.label_of(v)}」" for v in spec.shown_when[1])
            needed = str(_l("Required when you choose %(choices)s.", choices=labels))
            specs[name] = replace(spec, shown_when=None, help=" ".join(t for t in (needed, spec.help) if t))
    return list(specs.values())


def decision_of(fields: list[FieldSpec]) -> FieldSpec | None:
    return next((f for f in fields if f.widget == "decision"), None)
