"""EventBridge event patterns: checked as PutRule checks them, matched as the default bus matches.

From the EventBridge User Guide ("Amazon EventBridge event patterns"): a
pattern is a JSON object whose every field must match the event's; a field
holds either a nested object (matched against the event's object there) or an
array of values, which matches when the event's value is one of them ("a
value matches if it is in the pattern's array"); when the event's value is an
array, it matches when any element does. Besides exact values (strings,
numbers, null, booleans) an array may hold these content filters:
``prefix``, ``suffix``, ``equals-ignore-case``, ``wildcard``,
``anything-but`` (a value, a list, or ``{"prefix": ...}``, ``{"suffix": ...}``,
``{"equals-ignore-case": ...}``, ``{"wildcard": ...}``: "Comparison operators for
use in event patterns in Amazon EventBridge", which lists all four),
``numeric`` (``[">", 0, "<=", 5]``), and ``exists`` (true/false).

Filters judge leaves only: "Exists matching only works on leaf nodes. It does
not work on intermediate nodes" (its example: ``{"exists": false}`` matches a
field whose value is an object). So a field whose value is an object, an empty
array, or a string or number under which the pattern looks for fields, has no
leaf there: ``exists: false`` matches it and nothing else does ("If the value in
the event is an array, then the event pattern matches if the intersection of the
event pattern array and the event array is non-empty": never, for ``[]``).
``tests/testing/eventbridge/test_patterns_oracle.py`` holds this module against moto's matcher.
"""

from __future__ import annotations

import json
import re
from typing import Any

FILTERS = ("prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists")
ANYTHING_BUT_NESTED = ("prefix", "suffix", "equals-ignore-case", "wildcard")
NUMERIC_OPERATORS = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">": float.__gt__,
                     ">=": float.__ge__}
_MISSING = object()


class InvalidPattern(ValueError):
    """The reason EventBridge gives after "Event pattern is not valid. Reason: "."""


def parse_pattern(text: str) -> dict[str, Any]:
    """The pattern PutRule was given, checked; InvalidPattern says why it is refused."""
    try:
        pattern = json.loads(text)
    except ValueError:
        raise InvalidPattern("Invalid JSON") from None
    if not isinstance(pattern, dict):
        raise InvalidPattern("Filter is not an object")
    _check(pattern)
    return pattern


def _check(pattern: dict[str, Any]) -> None:
    for key, value in pattern.items():
        if isinstance(value, dict):
            _check(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _check_filter(key, item)
                elif isinstance(item, list):
                    raise InvalidPattern(f'Match value must be String, number, true, false, or null at "{key}"')
        else:
            raise InvalidPattern(f'"{key}" must be an object or an array')


def _check_filter(key: str, item: dict[str, Any]) -> None:
    if len(item) != 1 or next(iter(item)) not in FILTERS:
        raise InvalidPattern(f'Unrecognized match type {next(iter(item), "")} at "{key}"')
    [(kind, argument)] = item.items()
    if kind == "exists" and not isinstance(argument, bool):
        raise InvalidPattern(f'exists match pattern must be either true or false at "{key}"')
    if kind == "numeric":
        if not isinstance(argument, list) or len(argument) % 2 or not argument:
            raise InvalidPattern(f'Value of numeric must be an array at "{key}"')
        for operator, number in zip(argument[::2], argument[1::2]):
            if operator not in NUMERIC_OPERATORS or isinstance(number, bool) or not isinstance(number, (int, float)):
                raise InvalidPattern(f'Unrecognized numeric range operator: {operator} at "{key}"')
    if kind in ("prefix", "suffix", "equals-ignore-case", "wildcard") and not isinstance(argument, (str, dict)):
        raise InvalidPattern(f'{kind} match pattern must be a string literal at "{key}"')
    if kind == "anything-but" and isinstance(argument, dict):
        if len(argument) != 1 or next(iter(argument)) not in ANYTHING_BUT_NESTED \
                or not isinstance(next(iter(argument.values())), str):
            raise InvalidPattern(f'Unsupported anything-but pattern at "{key}"')


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a dict) matches ``pattern`` (a parsed, checked pattern)."""
    if not isinstance(event, dict):
        return False
    return all(_field_matches(rule, event.get(key, _MISSING)) for key, rule in pattern.items())


def _field_matches(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):  # the fields below: a leaf or an array has none
        return matches(rule, value if isinstance(value, dict) else {})
    if value is _MISSING or isinstance(value, dict) or value == []:  # no leaf here
        return any(isinstance(item, dict) and item.get("exists") is False for item in rule)
    values = value if isinstance(value, list) else [value]
    return any(_leaf_matches(item, v) for item in rule for v in values)


def _leaf_matches(item: Any, value: Any) -> bool:
    if not isinstance(item, dict):
        return _same(item, value)
    [(kind, argument)] = item.items()
    if kind == "exists":
        return bool(argument)
    if kind == "numeric":
        return _is_number(value) and all(NUMERIC_OPERATORS[op](float(value), float(n))
                                          for op, n in zip(argument[::2], argument[1::2]))
    if kind == "anything-but":
        return not _anything_but_hits(argument, value)
    if not isinstance(value, str):
        return False
    if kind == "prefix":
        return _affix(argument, value, str.startswith)
    if kind == "suffix":
        return _affix(argument, value, str.endswith)
    if kind == "equals-ignore-case":
        return isinstance(argument, str) and value.lower() == argument.lower()
    return _wildcard(str(argument), value)


def _wildcard(pattern: str, value: str) -> bool:
    """``*`` is any run of characters; ``\\*`` a literal asterisk and ``\\\\`` a backslash ("To match the
    asterisk character specifically, a wildcard character can be escaped with a backslash. Two consecutive
    backslashes ... represents the actual backslash character": AWS's Event Ruler, the open-source
    library of EventBridge's pattern language, README "Wildcard matching", https://github.com/aws/event-ruler)."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and pattern[i + 1:i + 2] in ("*", "\\"):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            parts.append(".*" if pattern[i] == "*" else re.escape(pattern[i]))
            i += 1
    regex = "".join(parts)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _affix(argument: Any, value: str, test: Any) -> bool:
    """``{"prefix": "x"}`` or ``{"prefix": {"equals-ignore-case": "x"}}``."""
    if isinstance(argument, dict):
        text = str(argument.get("equals-ignore-case", ""))
        return bool(test(value.lower(), text.lower()))
    return bool(test(value, argument))


def _anything_but_hits(argument: Any, value: Any) -> bool:
    if isinstance(argument, dict):  # {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": text}
        return _leaf_matches(argument, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return any(_same(item, value) for item in excluded)


def _same(expected: Any, value: Any) -> bool:
    """Exact match: numbers compare as numbers, everything else by type and value."""
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)
    return type(expected) is type(value) and bool(expected == value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
