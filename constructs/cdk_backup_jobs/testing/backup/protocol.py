"""AWS Backup's REST-JSON wire protocol, driven by botocore's own service model.

Routes an HTTP request to its operation by the model's method and URI
template (every operation of the model, so one the emulator lacks is named,
not unknown), reads the input members from the URI, the query string and the
JSON body, and validates them against the model's shapes (``input_rules``),
so the emulator rejects what AWS rejects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from cdk_backup_jobs.testing.backup.errors import BackupApiError, invalid
from cdk_backup_jobs.testing.backup.input_rules import validate


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    query_keys: frozenset[str] = frozenset()  # keys the requestUri itself carries ("?delete")


def load_model() -> ServiceModel:
    """botocore's service model for AWS Backup (the one the SDK itself uses)."""
    return botocore.session.Session().get_service_model("backup")


def build_routes(model: ServiceModel, operations: Iterable[str] | None = None) -> list[Route]:
    """Routes for ``operations`` (default: every operation of the model), literal segments
    before labels, so ``/backup-access-point/create`` is not read as an access point's ARN."""
    routes = []
    for name in model.operation_names if operations is None else operations:
        operation = model.operation_model(name)
        template, _, query = operation.http["requestUri"].partition("?")
        regex = re.escape(template.rstrip("/"))
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", regex)  # a greedy label: {Key+}
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        keys = frozenset(key.partition("=")[0] for key in query.split("&") if key)
        routes.append(Route(operation, operation.http["method"], re.compile(f"^{regex}/?$"), keys))
    return sorted(routes, key=lambda route: [segment.startswith("{") for segment in
                                             route.operation.http["requestUri"].split("?")[0].split("/")])


def match(routes: list[Route], method: str, path: str, query: str = "") -> tuple[Route, dict[str, str]]:
    """The route for a request; AWS answers one that is no operation with UnknownOperationException."""
    present = set(parse_qs(query, keep_blank_values=True))
    for route in routes:
        found = route.pattern.match(path)
        if route.method == method and found and route.query_keys <= present:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    raise BackupApiError(404, "UnknownOperationException", f"Unknown operation {method} {path}")


def read_input(route: Route, uri_params: Mapping[str, str], query: str, body: bytes) -> dict[str, Any]:
    """The operation's input members, typed and validated against the model."""
    shape = route.operation.input_shape
    if not isinstance(shape, StructureShape):
        return {}
    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError:
        raise BackupApiError(400, "SerializationException", "Request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BackupApiError(400, "SerializationException", "Request body must be a JSON object")
    params: dict[str, Any] = {}
    queries = parse_qs(query, keep_blank_values=True)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and wire_name in uri_params:
            params[name] = _from_text(member, uri_params[wire_name], name)
        elif location == "querystring" and wire_name in queries:
            params[name] = _from_text(member, queries[wire_name][0], name)
        elif location is None and name in document:
            params[name] = document[name]
    unknown = set(document) - {n for n, m in shape.members.items() if not m.serialization.get("location")}
    if unknown:
        raise BackupApiError(400, "SerializationException", f"Unknown members: {', '.join(sorted(unknown))}")
    validate(shape, params, "")
    return params


def _from_text(shape: Shape, text: str, name: str) -> Any:
    """A URI or query-string value in its member's type; one that is not is the caller's error."""
    if shape.type_name in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", text):
            raise invalid(f"{name} must be a number")
        return int(text)
    if shape.type_name == "boolean":
        if text.lower() not in ("true", "false"):
            raise invalid(f"{name} must be true or false")
        return text.lower() == "true"
    if shape.type_name == "timestamp":
        return _timestamp(text, name)
    return text


def _timestamp(text: str, name: str) -> float:
    """botocore sends query-string timestamps in ISO 8601; epoch seconds are accepted too."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"{name} must be a timestamp (ISO 8601 or epoch seconds)") from None
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()


def to_wire(value: Any) -> Any:
    """JSON for an answer: datetimes as epoch seconds, as AWS's REST-JSON sends them."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or timezone.utc).timestamp()
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value
