"""CloudFormation's query API for the simulated stack, in the XML botocore parses.

DescribeStacks, GetTemplate, DescribeStackResource and ListStackResources
(pages of ``page_size``, 100 by default as CloudFormation's, with NextToken),
and SignalResource ("You can use the SignalResource operation in conjunction
with a creation policy", CloudFormation API Reference): a signal is kept for
a resource with a CreationPolicy while it is CREATE_IN_PROGRESS in a stack
operation in progress; otherwise ValidationError "Stack ID is in STATUS state
and cannot be signaled" (CloudFormation's text, as cfn-signal users report
it: "ValidationError: Stack arn:aws:cloudformation:us-east-1:...:stack/... is
in CREATE_COMPLETE state and cannot be signaled",
https://github.com/aws-cloudformation/aws-cloudformation-templates/issues/34)
or "Resource ID is in STATUS state and cannot be signaled". A resource of the
stack not created yet is ValidationError "Resource ID does not exist for
stack NAME": AWS does not document the wording of that answer, only that it
is a ValidationError, so a client must not rely on its text.
A stack is known by its name or its ID; its resources come from whoever set
the stack (the simulator keeps them current as it creates and deletes). An
unknown stack is ValidationError "Stack with id NAME does not exist", an
unknown resource ValidationError "Resource ID does not exist for stack NAME".
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable, Mapping, Sequence
from xml.sax.saxutils import escape

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
Resources = Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]]
SUMMARY_KEYS = ("LogicalResourceId", "PhysicalResourceId", "ResourceType", "LastUpdatedTimestamp",
                "ResourceStatus", "ResourceStatusReason")


def find_stack(stacks: Mapping[str, dict[str, Any]], name: str) -> dict[str, Any] | None:
    return stacks.get(name) or next((s for s in stacks.values() if s["StackName"] == name), None)


def answer(action: str, form: Mapping[str, str], stack: dict[str, Any] | None, page_size: int,
           now: float) -> tuple[int, str]:
    """(HTTP status, XML body) for one call on ``stack`` (None: no such stack)."""
    name = form.get("StackName", "")
    if stack is None:
        return error(f"Stack with id {name} does not exist")
    if action == "DescribeStacks":
        return ok(action, f"<Stacks><member>{_tags(stack, ('StackName', 'StackId', 'StackStatus'))}"
                          f"<CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks>")
    if action == "GetTemplate":
        read = stack.get("TemplateRead") or stack["Template"]  # the previous one during an update, if set so
        # As given: a YAML template as its text (template.yaml_body).
        body = read if isinstance(read, str) else json.dumps(read)
        return ok(action, f"<TemplateBody>{escape(body)}</TemplateBody>")
    resources = [_row(r, now) for r in _resources(stack)]
    if action == "DescribeStackResource":
        logical_id = form.get("LogicalResourceId", "")
        found = next((r for r in resources if r["LogicalResourceId"] == logical_id), None)
        if found is None:
            return error(f"Resource {logical_id} does not exist for stack {name}")
        detail = {"StackName": stack["StackName"], "StackId": stack["StackId"], **found}
        return ok(action, f"<StackResourceDetail>{_tags(detail, ('StackName', 'StackId', *SUMMARY_KEYS))}"
                          "</StackResourceDetail>")
    if action == "ListStackResources":
        token = form.get("NextToken") or "0"
        if not token.isdigit():
            return error("Invalid NextToken")
        start = int(token)
        page = "".join(f"<member>{_tags(r, SUMMARY_KEYS)}</member>" for r in resources[start:start + page_size])
        more = f"<NextToken>{start + page_size}</NextToken>" if start + page_size < len(resources) else ""
        return ok(action, f"<StackResourceSummaries>{page}</StackResourceSummaries>{more}")
    return 400, (f"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>"
                 f"{escape(action)}</Message></Error></ErrorResponse>")


def signal(form: Mapping[str, str], stack: dict[str, Any] | None) -> tuple[int, str, dict[str, str] | None]:
    """SignalResource: (HTTP status, XML body, the signal to keep or None)."""
    name, logical_id = form.get("StackName", ""), form.get("LogicalResourceId", "")
    unique_id, status = form.get("UniqueId", ""), form.get("Status", "")
    if stack is None:
        return (*error(f"Stack with id {name} does not exist"), None)
    if status not in ("SUCCESS", "FAILURE") or not 1 <= len(unique_id) <= 64:
        return (*error("1 validation error detected: Status must be SUCCESS or FAILURE and UniqueId 1 to 64 "
                       "characters long"), None)
    if not str(stack["StackStatus"]).endswith("_IN_PROGRESS") or "ROLLBACK" in stack["StackStatus"]:
        return (*error(f"Stack {stack['StackId']} is in {stack['StackStatus']} state and cannot be signaled"), None)
    row = next((r for r in _resources(stack) if r.get("LogicalResourceId") == logical_id), None)
    if row is None:
        return (*error(f"Resource {logical_id} does not exist for stack {stack['StackName']}"), None)
    definition = stack["Template"].get("Resources", {}).get(logical_id, {})
    resource_status = row.get("ResourceStatus", "CREATE_COMPLETE")
    if resource_status != "CREATE_IN_PROGRESS" or "CreationPolicy" not in definition:
        return (*error(f"Resource {logical_id} is in {resource_status} state and cannot be signaled"), None)
    return (*ok("SignalResource", ""), {"LogicalResourceId": logical_id, "UniqueId": unique_id, "Status": status})


def _resources(stack: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    resources = stack.get("Resources") or []
    return list(resources() if callable(resources) else resources)


def _row(resource: Mapping[str, Any], now: float) -> dict[str, Any]:
    row = {"ResourceStatus": "CREATE_COMPLETE", "LastUpdatedTimestamp": now, **resource}
    if isinstance(row["LastUpdatedTimestamp"], (int, float)):
        row["LastUpdatedTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(row["LastUpdatedTimestamp"]))
    return row


def _tags(values: Mapping[str, Any], keys: Sequence[str]) -> str:
    return "".join(f"<{k}>{escape(str(values[k]))}</{k}>" for k in keys if values.get(k) not in (None, ""))


def ok(action: str, result: str) -> tuple[int, str]:
    return 200, (f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}</{action}Result>'
                 f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")


def access_denied(message: str) -> tuple[int, str]:
    """IAM's refusal, as CloudFormation's query API answers it: HTTP 403, code AccessDenied."""
    return 403, (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                 f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")


def error(message: str) -> tuple[int, str]:
    return 400, (f"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                 f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
