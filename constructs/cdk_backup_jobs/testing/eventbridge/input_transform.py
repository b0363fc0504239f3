"""What a rule's target receives: its ``Input``, its ``InputPath``, its ``InputTransformer``, or the event.

As the EventBridge User Guide ("Amazon EventBridge input transformation")
describes the transformer: ``InputPathsMap`` names JSON paths into the event
(``"$.detail.state"``), ``InputTemplate`` places them as ``<name>``; the
predefined variables are ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``,
``<aws.events.event.ingestion-time>``, ``<aws.events.event>`` (the event
without ``detail``) and ``<aws.events.event.json>`` (the whole event, with
``detail``). In a JSON template a string value placed outside quotes becomes
a JSON string, inside quotes its text; a path that finds nothing gives null.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

PREDEFINED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
              "aws.events.event", "aws.events.event.json")
PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']+)'\]")
_NOTHING = object()


class InvalidTarget(ValueError):
    """Why PutTargets refuses a target's input settings."""


def check_target(target: Mapping[str, Any]) -> None:
    """A target sets at most one of Input, InputPath and InputTransformer, each well formed."""
    given = [key for key in ("Input", "InputPath", "InputTransformer") if key in target]
    if len(given) > 1:
        raise InvalidTarget(f"Target {target.get('Id')}: only one of Input, InputPath and InputTransformer "
                            "may be set")
    if "Input" in target:
        try:
            json.loads(target["Input"])
        except (TypeError, ValueError):
            raise InvalidTarget(f"Target {target.get('Id')}: Input is not valid JSON") from None
    if "InputPath" in target:
        json_path(target["InputPath"], {})
    transformer = target.get("InputTransformer")
    if transformer is not None:
        for name, path in (transformer.get("InputPathsMap") or {}).items():
            if name.lower().startswith("aws."):
                raise InvalidTarget(f"InputPathsMap key {name} is reserved")
            json_path(path, {})


def json_path(path: str, document: Any) -> Any:
    """The value at a JSON path such as ``$.detail.state``, ``$.resources[0]`` or ``$``; _NOTHING if absent."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise InvalidTarget(f"{path!r} is not a valid JSON path")
    rest, value = path[1:], document
    while rest:
        step = PATH_STEP.match(rest)
        if step is None:
            raise InvalidTarget(f"{path!r} is not a valid JSON path")
        rest = rest[step.end():]
        key, index, quoted = step.groups()
        if index is not None:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else _NOTHING
        else:
            value = value.get(key if key is not None else quoted, _NOTHING) if isinstance(value, dict) else _NOTHING
        if value is _NOTHING:
            return _NOTHING
    return value


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], rule_name: str, rule_arn: str,
                 ingestion_time: str) -> str:
    """The text EventBridge sends the target for ``event``."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        found = json_path(target["InputPath"], event)
        return json.dumps(None if found is _NOTHING else found)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event)
    variables: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": dict(event),
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        found = json_path(path, event)
        variables[name] = None if found is _NOTHING else found
    return render(str(transformer.get("InputTemplate", "")), variables)


def render(template: str, variables: Mapping[str, Any]) -> str:
    """Fill ``<name>`` placeholders, as JSON outside string literals and as escaped text inside them."""
    out: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<" and not escaped:
            end = template.find(">", position)
            name = template[position + 1:end] if end > 0 else ""
            if name in variables:
                out.append(_placed(variables[name], in_string))
                position = end + 1
                continue
        if in_string and char == "\\" and not escaped:
            escaped = True
        else:
            if char == '"' and not escaped:
                in_string = not in_string
            escaped = False
        out.append(char)
        position += 1
    return "".join(out)


def _placed(value: Any, in_string: bool) -> str:
    if not in_string:
        return json.dumps(value)
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text)[1:-1]
