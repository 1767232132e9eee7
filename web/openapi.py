"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json)."""
from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ERRORS = {str(code): {**_ERROR, "description": text} for code, text in (
    (401, "no credentials, a wrong password, or a token that is unknown, revoked or expired"),
    (403, "not allowed (reason code in `reason`)"), (404, "not found"),
    (409, "conflict: completed, claimed or changed by someone else"), (422, "invalid form data, per field"),
    (429, "too many failed credentials from this address: wait `Retry-After` seconds"))}


def _op(summary: str, body: bool = False, status: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {status: {"description": "ok"}, **_ERRORS}}
    if body:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
    return op


def _upload(summary: str) -> dict[str, Any]:
    """A multipart upload: 201 with the stored files; 413 past the size limits; 422 names a refused file."""
    op = _op(summary, status="201")
    op["responses"]["413"] = {**_ERROR, "description": "larger than the upload limits (the message says them)"}
    op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "task_id": {"type": "integer"}}}}}}
    return op


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


_day = {"name": "day", "in": "path", "required": True, "schema": {"type": "string", "format": "date"}}


def document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Approvals API", "version": "1"},
        "servers": [{"url": server}],
        "security": [{"token": []}, {"basic": []}],
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "bearerFormat": "apv_...",
                          "description": "a personal access token, made on the API tokens page (or with "
                                         "`approvals token create`) and shown once; failures are throttled "
                                         "per address (429 with Retry-After)"},
                "basic": {"type": "http", "scheme": "basic",
                          "description": "user name and password; every request pays a password-hash check"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "reason": {"type": ["string", "null"]},
                "holder": {"type": ["string", "null"]}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        },
        "paths": {
            "/me": {"get": _op("the signed-in user and their groups")},
            "/processes": {"get": _op("processes the user may start")},
            "/processes/{process_id}/instances": {"post": {
                **_op("start the newest version; body: data = the start form, copy_to = [login | group:<id>] "
                      "(抄送)", body=True, status="201"),
                "parameters": [{"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
            "/tasks": {"get": {**_op("tasks: scope=all|inbox|queue|completed; one keyset page (limit, after); the "
                                     "header X-Next-After names the next page's `after`"), "parameters": [
                {"name": "scope", "in": "query", "schema": {"enum": ["all", "inbox", "queue", "completed"]}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                            "default": 100}},
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 1}}]}},
            "/tasks/{task_id}": {"get": {**_op("a task, its form (JSON Schema + UI schema), may_act"),
                                         "parameters": [_id("task_id")]}},
            **{f"/tasks/{{task_id}}/{verb}": {"post": {**_op(text, body=True), "parameters": [_id("task_id")]}}
               for verb, text in (("complete", "complete with {data: form}"),
                                  ("claim", "claim ({reason})"), ("release", "release ({reason})"),
                                  ("delegate", "delegate ({to: username, reason})"),
                                  ("return", "send back to an earlier step ({to: BPMN id from the task's "
                                             "return_targets, reason})"))},
            "/tasks/{task_id}/signers": {"post": {**_op(
                "加签 {kind: consult (opinions before I decide) | countersign (approval after mine; data = my "
                "decision), to: [login | group:<id>], reason}; 409 waiting_* while the task waits on others",
                body=True, status="201"), "parameters": [_id("task_id")]}},
            "/side-tasks/{side_id}": {"get": {**_op("a side task (consult, countersign, rework) and its answer"),
                                              "parameters": [_id("side_id")]}},
            "/side-tasks/{side_id}/answer": {"post": {**_op(
                "answer a side task {opinion, decision: approve | reject (countersign), data: the step's form "
                "(rework)}", body=True), "parameters": [_id("side_id")]}},
            "/instances/{instance_id}/side-tasks": {"get": {**_op("the request's side tasks, oldest first"),
                                                            "parameters": [_id("instance_id")]}},
            "/messages": {"post": _op("deliver a message {name, payload, correlations: {key: {property: value}}, "
                                      "instance_id, all} to the instance waiting for it, or start a process "
                                      "with that message start event (process owners and group integration)",
                                      body=True)},
            "/signals": {"post": _op("broadcast a signal {name, payload} to every waiting instance and start "
                                     "every process with that signal start event", body=True)},
            "/instances": {"get": {**_op("requests, newest first: the user's own (everyone's for process owners "
                                         "and auditors); q finds them by record number, customer or id; one "
                                         "keyset page (limit, before); the header X-Next-Before names the next"), "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                            "default": 100}},
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}}]}},
            "/instances/{instance_id}": {"get": {**_op("an instance and its open tasks"),
                                                 "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/comments": {"post": {**_op("comment {text}; @name mentions a colleague",
                                                                 body=True, status="201"),
                                                             "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/withdraw": {"post": {**_op("withdraw {reason} (the applicant, before anyone "
                                                                 "acted)", body=True), "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/remind": {"post": {**_op("remind whoever holds the open tasks (the applicant; "
                                                               "409 reminded_recently)", body=True),
                                                           "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/copy": {"post": {**_op("copy {to: [login | group:<id>], note}", body=True),
                                                         "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/documents": {"get": {
                **_op("the documents the request's procedure produces (permit, review sheet): name, titles, ready, "
                      "and while not ready `pending` (why not yet, per language)"), "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/documents/{name}.pdf": {"get": {
                **_op("one document as PDF (application/pdf) with its record number, decisions, QR code and the "
                      "audit chain's head hash; 409 document_not_ready before it exists; 503 when no PDF can be "
                      "made (reason no_renderer, timeout, failed)"),
                "parameters": [_id("instance_id"), {"name": "name", "in": "path", "required": True,
                                                    "schema": {"type": "string"}}]}},
            "/lookups/{name}": {
                "get": {**_op("entries of a register form fields pick from (e.g. customer) whose name or code holds "
                              "q: {items: [{value, label, summary, warning, details}], may_register}"),
                        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                                       {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                                       {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                                  "maximum": 50, "default": 10}}]},
                "post": {**_op("register a new entry {label} (the register's registrars; an entry of that name "
                               "already there is returned)", body=True, status="201"),
                         "parameters": [{"name": "name", "in": "path", "required": True,
                                         "schema": {"type": "string"}}]}},
            "/processes/{process_id}/attachments": {"post": {
                **_upload("upload files for a start form (parts named file); name their ids in the form's "
                          "attachments field (e.g. photos: [12, 13])"),
                "parameters": [{"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
            "/instances/{instance_id}/attachments": {
                "get": {**_op("the request's files: name, media type, size, sha256, who, when, task, form field"),
                        "parameters": [_id("instance_id")]},
                "post": {**_upload("attach files (parts named file) to the request, or with task_id to an open "
                                   "task the caller may complete, whose form may then name them"),
                         "parameters": [_id("instance_id")]}},
            "/attachments/{attachment_id}": {"get": {
                **_op("a file's bytes as its own media type (Content-Disposition: attachment), for whoever may "
                      "read its request"), "parameters": [_id("attachment_id")]}},
            "/attachments/{attachment_id}/remove": {"post": {
                **_op("the uploader removes a file not yet submitted with a form", body=True),
                "parameters": [_id("attachment_id")]}},
            "/notices": {"get": {**_op("my notifications, newest first (limit, before; X-Next-Before, X-Unread)"),
                                 "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}}]}},
            "/notices/read": {"post": _op("mark notifications read ({ids}, or all)", body=True)},
            "/me/notice-settings": {
                "get": _op("my channel preferences {mail, events} and out of office {deputy, starts_on, ends_on} "
                           "(null when none)"),
                "post": _op("set preferences {mail: bool, events: [task, reminder, copy, mention, outcome]} (in the "
                            "app everything arrives; events choose what is also mailed)", body=True)},
            "/me/out-of-office": {"post": _op("out of office {deputy, starts_on, ends_on} (dates YYYY-MM-DD, "
                                              "inclusive): new tasks for me go to the deputy; 400 deputy_self, "
                                              "dates_reversed, dates_past; 404 deputy_unknown; 409 deputy_away",
                                              body=True)},
            "/me/out-of-office/clear": {"post": _op("back in the office ({cleared})", body=True)},
            "/robots": {"get": _op("every group's chat robot, without its secret (process owners)")},
            "/robots/failed": {"get": _op("robot posts given up after their last attempt (process owners)")},
            "/groups/{group_id}/robot": {"post": {
                **_op("give a group a chat robot {url (http/https), kind: wecom | dingtalk, secret (钉钉 signing, "
                      "optional)} (process owners; 400 bad_url, bad_kind, bad_secret)", body=True),
                "parameters": [{"name": "group_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
            "/groups/{group_id}/robot/remove": {"post": {
                **_op("take a group's robot away ({removed})", body=True),
                "parameters": [{"name": "group_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
            "/reports": {"get": _op("the reports I may read (name, titles)")},
            "/reports/{name}": {"get": {**_op("a report's columns and rows, recorded in the audit as an export (403 "
                                              "not_report_reader, 404 no_report; format=csv for a file)"),
                                        "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}]}},
            "/copied": {"get": {**_op("requests copied to me, newest first (limit, before; X-Next-Before)"),
                                "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}}]}},
            "/calendar/{year}": {"get": {**_op("工作日历: every day of a year (working, kind: workday, weekend, "
                                                "holiday, adjusted, closure, opened; name; who entered it) and "
                                                "`known`: whether the year's official calendar is known"),
                                            "parameters": [_id("year")]}},
            "/calendar/days/{day}": {
                "put": {**_op("enter a day {working, name, official}: a company closure, a day the company "
                              "works, or (official) a day of a year the package does not know; process owners",
                              body=True), "parameters": [_day]},
                "delete": {**_op("remove an entered day (it follows China's calendar again); process owners",
                                 status="204"), "parameters": [_day]}},
            "/instances/{instance_id}/audit": {"get": {**_op("the audit trail and whether its chain verifies"),
                                                       "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/cancel": {"post": {**_op("cancel ({reason})", body=True),
                                                         "parameters": [_id("instance_id")]}},
            "/instances/{instance_id}/retry": {"post": {
                **_op("run the stopped step again ({data: corrected fields}); process owners", body=True),
                "parameters": [_id("instance_id")]}},
        },
    }
