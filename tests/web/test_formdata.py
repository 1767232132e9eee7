"""JSON Schema + UI schema -> widgets, posted text -> typed JSON, stored JSON -> input values."""
from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest
from werkzeug.datastructures import MultiDict

from engine.authoring.forms import FormView, validate
from tests.conftest import DATA
from web import formdata
from web.formspec import decision_of, fields_of

BEIJING = timezone(timedelta(hours=8))


def load(name: str, ui: str | None = None, folder: str = "web_forms") -> FormView:
    schema = json.loads((DATA / folder / name).read_text(encoding="utf-8"))
    ui_doc = json.loads((DATA / folder / ui).read_text(encoding="utf-8")) if ui else {}
    return FormView(schema, ui_doc, name)


@pytest.fixture
def widgets():
    return fields_of(load("web_widgets.schema.json", "web_widgets.uischema.json"))


def test_widgets_follow_schema_and_ui_schema(widgets):
    kinds = {f.name: f.widget for f in widgets}
    assert kinds == {
        "name": "text", "kind": "select", "level": "radio", "count": "number", "price": "number", "day": "date",
        "meeting": "datetime", "email": "email", "notes": "textarea", "urgent": "checkbox", "confirmed": "yesno",
        "areas": "checkboxes", "tags": "multiselect", "lines": "rows"}
    assert [f.name for f in widgets][:3] == ["name", "kind", "level"]  # ui:order
    by_name = {f.name: f for f in widgets}
    assert by_name["kind"].choices == [("a", "甲类"), ("b", "乙类"), ("c", "丙类")]
    assert by_name["count"].required and by_name["count"].step == "1" and by_name["count"].maximum == 100
    assert by_name["price"].step == "any"
    assert by_name["areas"].help == "可多选"
    assert by_name["notes"].placeholder == "补充说明" and by_name["notes"].help == "可不填"
    assert [c.name for c in by_name["lines"].columns] == ["item", "qty", "checked"]
    assert [c.widget for c in by_name["lines"].columns] == ["text", "number", "checkbox"]


def test_decision_enum_becomes_buttons():
    fields = fields_of(load("decision.schema.json", folder="forms"))
    decision = decision_of(fields)
    assert decision is not None and decision.widget == "decision"
    assert decision.choices == [("approve", "同意"), ("reject", "驳回")]
    assert decision.label_of("reject") == "驳回"


def test_oneof_const_titles_are_options():
    form = FormView({"type": "object", "properties": {
        "size": {"type": "integer", "title": "尺寸",
                 "oneOf": [{"const": 1, "title": "小"}, {"const": 2, "title": "大"}]}}})
    (size,) = fields_of(form)
    assert size.widget == "select" and size.choices == [("1", "小"), ("2", "大")]
    parsed = formdata.parse([size], MultiDict({"size": "2"}), BEIJING)
    assert parsed.data == {"size": 2}


def test_parse_types_every_widget(widgets):
    posted = MultiDict([
        ("name", "  宏达  "), ("kind", "b"), ("level", "high"), ("count", "7"), ("price", "12.50"),
        ("day", "2026-12-01"), ("meeting", "2026-12-01T14:30"), ("email", "a@example.com"),
        ("notes", "第一行\n第二行\n"), ("urgent", "true"), ("confirmed", "false"),
        ("areas", "east"), ("areas", "south"), ("tags", "t2"),
        ("lines-0-item", "面料"), ("lines-0-qty", "3"), ("lines-0-checked", "true"),
        ("lines-1-item", ""), ("lines-1-qty", ""),  # the blank spare row
        ("lines-2-item", "辅料"), ("lines-2-qty", "1"),
        ("csrf_token", "x"), ("unrelated", "ignored"),
    ])
    parsed = formdata.parse(widgets, posted, BEIJING)
    assert parsed.errors == {}
    assert parsed.data == {
        "name": "宏达", "kind": "b", "level": "high", "count": 7, "price": 12.5, "day": "2026-12-01",
        "meeting": "2026-12-01T14:30:00+08:00", "email": "a@example.com", "notes": "第一行\n第二行",
        "urgent": True, "confirmed": False, "areas": ["east", "south"], "tags": ["t2"],
        "lines": [{"item": "面料", "qty": 3, "checked": True}, {"item": "辅料", "qty": 1, "checked": False}],
    }
    validate(load("web_widgets.schema.json"), parsed.data)  # the engine accepts it as is


def test_parse_leaves_out_empty_fields_and_unticked_is_false(widgets):
    parsed = formdata.parse(widgets, MultiDict({"name": "", "count": " ", "kind": ""}), BEIJING)
    assert parsed.data == {"urgent": False}
    assert parsed.errors == {}


def test_parse_reports_text_that_is_not_of_the_type_and_keeps_it(widgets):
    posted = MultiDict({"count": "seven", "price": "1,5", "day": "2026-13-45", "meeting": "tomorrow",
                        "lines-0-item": "面料", "lines-0-qty": "2.5"})
    parsed = formdata.parse(widgets, posted, BEIJING)
    assert parsed.errors == {"count": formdata.NOT_INTEGER, "price": formdata.NOT_NUMBER, "day": formdata.NOT_DATE,
                             "meeting": formdata.NOT_DATETIME, "lines.0.qty": formdata.NOT_INTEGER}
    assert parsed.shown["count"] == "seven" and parsed.shown["meeting"] == "tomorrow"
    assert parsed.shown["lines"] == [{"item": "面料", "qty": "2.5", "checked": False}]


def test_integers_written_as_whole_floats_are_integers(widgets):
    parsed = formdata.parse(widgets, MultiDict({"count": "3.0", "price": "4"}), BEIJING)
    assert parsed.data["count"] == 3 and isinstance(parsed.data["count"], int)
    assert parsed.data["price"] == 4 and isinstance(parsed.data["price"], int)


def test_datetime_with_an_offset_is_kept(widgets):
    parsed = formdata.parse(widgets, MultiDict({"meeting": "2026-12-01T06:30:00+00:00"}), BEIJING)
    assert parsed.data["meeting"] == "2026-12-01T06:30:00+00:00"


def test_decision_comes_from_the_pressed_button():
    fields = fields_of(load("decision.schema.json", folder="forms"))
    parsed = formdata.parse(fields, MultiDict({"decision": "reject", "comment": "金额不符"}), BEIJING)
    assert parsed.data == {"decision": "reject", "comment": "金额不符"}
    assert formdata.parse(fields, MultiDict({"comment": "x"}), BEIJING).data == {"comment": "x"}


def test_lines_widget_splits_lines():
    form = FormView({"type": "object", "properties": {
        "codes": {"type": "array", "title": "编号", "items": {"type": "integer"}}}})
    fields = fields_of(form)
    assert fields[0].widget == "lines"
    assert formdata.parse(fields, MultiDict({"codes": "1\n 2 \n\n3"}), BEIJING).data == {"codes": [1, 2, 3]}
    assert formdata.parse(fields, MultiDict({"codes": "1\nx"}), BEIJING).errors == {"codes": formdata.NOT_INTEGER}
    assert formdata.shown_values(fields, {"codes": [4, 5]}, BEIJING) == {"codes": "4\n5"}


def test_shown_values_turn_stored_json_into_input_text(widgets):
    stored = {"count": 7, "meeting": "2026-12-01T06:30:00+00:00", "urgent": True, "confirmed": False,
              "areas": ["east"], "lines": [{"item": "面料", "qty": 3}], "kind": "a", "missing_field": 1}
    shown = formdata.shown_values(widgets, stored, BEIJING)
    assert shown == {"count": "7", "meeting": "2026-12-01T14:30", "urgent": True, "confirmed": "false",
                     "areas": ["east"], "lines": [{"item": "面料", "qty": "3", "checked": ""}], "kind": "a"}


def test_round_trip_through_the_inputs(widgets):
    """What the inputs show, posted back unchanged, is the same data."""
    data = {"name": "宏达", "kind": "c", "count": 2, "meeting": "2026-12-01T14:30:00+08:00", "urgent": False,
            "areas": ["west"], "lines": [{"item": "面料", "qty": 3, "checked": True}]}
    shown = formdata.shown_values(widgets, data, BEIJING)
    posted = MultiDict()
    for key, value in shown.items():
        if key == "lines":
            for i, row in enumerate(value):
                for col, text in row.items():
                    if text is True:
                        posted.add(f"lines-{i}-{col}", "true")
                    elif text not in (False, ""):
                        posted.add(f"lines-{i}-{col}", text)
        elif isinstance(value, list):
            for item in value:
                posted.add(key, item)
        elif value is True:
            posted.add(key, "true")
        elif value is not False:
            posted.add(key, value)
    assert formdata.parse(widgets, posted, BEIJING).data == data


def test_field_messages_say_the_rule(app):
    from engine import FieldError, FormInvalid
    from web.messages import from_invalid

    errors = FormInvalid([FieldError("phone", "minLength", "is too short", 7),
                          FieldError("visitors", "maximum", "is too large", 200),
                          FieldError("agree", "const", "x", True),
                          FieldError("tour_start", "check", "计划参观时间已过：请填写将来的时间")])
    with app.test_request_context():
        shown = from_invalid(errors)
    assert shown == {"phone": "请至少填写 7 个字。", "visitors": "最大为 200。", "agree": "请勾选此项后再提交。",
                     "tour_start": "计划参观时间已过：请填写将来的时间"}


def _company_form(name: str) -> FormView:
    from tests.conftest import FORMS
    return FormView(json.loads((FORMS / f"{name}.schema.json").read_text(encoding="utf-8")),
                    json.loads((FORMS / f"{name}.uischema.json").read_text(encoding="utf-8")), name)


def test_conditions_come_from_the_schema_and_a_decision_condition_is_said_in_words(app):
    application = {f.name: f for f in fields_of(_company_form("tour_application"))}
    assert application["photo_reason"].shown_when == ("photo_requested", ("true",))
    assert application["special_reason"].shown_when == ("special_case", ("true",))
    assert application["customer"].shown_when is None and application["purpose"].widget == "textarea"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        approval = {f.name: f for f in fields_of(_company_form("tour_gm_approval"))}
        # the decision is the button pressed: the reason stays in view and says when it is needed
        assert approval["comment"].shown_when is None
        assert approval["comment"].help.startswith("选择「驳回」时必填。")
