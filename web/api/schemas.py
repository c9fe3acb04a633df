"""Marshmallow schemas of the API: what goes in, what comes out (and into the OpenAPI document)."""
from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from engine.clock import STOCKHOLM


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def page_of(item_schema):
    """{"items": [...], "total": N, "page": P, "per_page": K}"""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True), "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True)}, name=f"{item_schema.__name__}Page")


class ErrorOut(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Raw(required=True)


class TaskOut(Schema):
    id = fields.String(required=True)
    case_id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "BPMN element id"})
    title = fields.String(required=True)
    group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    priority = fields.Integer()
    form_key = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TaskDetailOut(TaskOut):
    documentation = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the task's JSON Schema"})
    data = fields.Dict(metadata={"description": "current task data"})
    draft = fields.Dict(allow_none=True)


class TaskListArgs(PageArgs):
    scope = fields.String(load_default="group", validate=validate.OneOf(["mine", "group", "all"]))
    process_key = fields.String()
    name = fields.String()
    overdue = fields.Boolean(load_default=False)
    due_before = fields.AwareDateTime(default_timezone=STOCKHOLM, validate=validate.Range(
        min=datetime(1900, 1, 1, tzinfo=UTC), max=datetime(9000, 1, 1, tzinfo=UTC),
        error="Datumet måste ligga mellan år 1900 och 9000."),
        metadata={"description": "between the years 1900 and 9000; without an offset, Swedish time"})
    q = fields.String(validate=validate.Length(max=100))


class CompleteIn(Schema):
    data = fields.Dict(load_default=dict)


class AssignIn(Schema):
    user = fields.String(allow_none=True, required=True)


class CaseStartIn(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(load_default=dict)
    business_key = fields.String(allow_none=True, validate=validate.Length(max=200))


class CaseOut(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)


class EventOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)


class CaseDetailOut(CaseOut):
    business_key = fields.String(allow_none=True)
    subject_name = fields.String(allow_none=True)
    failure = fields.Dict(allow_none=True)
    data = fields.Dict()
    open_tasks = fields.List(fields.Nested(TaskOut))
    history = fields.List(fields.Nested(EventOut))


class CancelIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class MessageIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation_key = fields.String(allow_none=True, required=True, validate=validate.Length(max=300))
    payload = fields.Dict(load_default=dict)


class MessageOut(Schema):
    cases = fields.List(fields.Integer(), required=True)


class ModelOut(Schema):
    process_key = fields.String(required=True)
    latest_version = fields.Integer(required=True)
    running_cases = fields.Integer(required=True)


class VersionOut(Schema):
    version = fields.Integer(required=True)
    sha256 = fields.String()
    deployed_by = fields.String()
    deployed_at = fields.DateTime()
    note = fields.String()
    running_cases = fields.Integer()


class VolunteerOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String()
    status = fields.String()
    area = fields.String(allow_none=True)
    interests = fields.List(fields.String())
    languages = fields.List(fields.String())
    waiting_since = fields.Date(allow_none=True)


class ClientOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String()
    area = fields.String(allow_none=True)
    decision = fields.Dict()


class AssignmentOut(Schema):
    id = fields.Integer(required=True)
    volunteer_id = fields.Integer()
    client_id = fields.Integer()
    status = fields.String()
    fee_per_month = fields.Integer(allow_none=True)
    expenses_per_month = fields.Integer(allow_none=True)
    started_on = fields.Date(allow_none=True)
    next_report_due = fields.DateTime(allow_none=True)
    next_review_on = fields.Date(allow_none=True)


class RegistryArgs(PageArgs):
    status = fields.String()


class DeployArgs(Schema):
    note = fields.String(load_default="", metadata={"description": "what changed (kept to 500 characters)"})


class VersionDetailOut(VersionOut):
    files = fields.List(fields.String(), required=True)
    waiting = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "element id → cases waiting there now"})


class CompareArgs(Schema):
    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1, max=1_000_000))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1, max=1_000_000))


class CompareOut(Schema):
    added = fields.List(fields.String(), required=True)
    removed = fields.List(fields.String(), required=True)
    changed = fields.List(fields.String(), required=True)
    files_changed = fields.List(fields.String(), required=True)
    xml_diff = fields.String(required=True)


class MigrationIn(CompareArgs):
    dry_run = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class CaseCheckOut(Schema):
    case_id = fields.Integer(required=True)
    title = fields.String()
    movable = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)
    waiting_at = fields.List(fields.String(), required=True)


class DryRunOut(Schema):
    cases = fields.List(fields.Nested(CaseCheckOut), required=True)
    movable = fields.Integer(required=True)


class MigrationOut(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    from_version = fields.Integer(required=True)
    to_version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "running, finished or rolled_back"})
    total = fields.Integer(required=True)
    done = fields.Integer(required=True)
    migrated = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    rolled_back = fields.Integer(required=True)
    kept = fields.Integer(required=True)
    started_by = fields.String()
    created_at = fields.DateTime()


class StepArgs(Schema):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=500))
