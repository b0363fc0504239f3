"""The simulated bus's content filters, as the EventBridge User Guide documents them
("Content filtering in Amazon EventBridge event patterns")."""

from __future__ import annotations

import json

import pytest

from cdk_backup_jobs.testing.eventbridge.patterns import InvalidPattern, matches, parse_pattern

JOB = "7f7a9e35-0c1d-4c6b-9f53-4d0c5e2a1b9e"
BY_ID_IGNORING_CASE = json.dumps({"source": ["aws.backup"],
                                  "detail": {"backupJobId": [{"equals-ignore-case": JOB.upper()}]}})


@pytest.mark.parametrize("job_id, expected", [
    (JOB, True), (JOB.upper(), True), (JOB[:9] + JOB[9:].upper(), True),
    (JOB.replace("7f7a", "7f7b"), False), (JOB + "0", False), (7, False),
])
def test_equals_ignore_case_matches_the_same_text_in_any_letter_case(job_id, expected):
    event = {"source": "aws.backup", "detail": {"backupJobId": job_id}}
    assert matches(parse_pattern(BY_ID_IGNORING_CASE), event) is expected


def test_equals_ignore_case_takes_a_string_only():
    with pytest.raises(InvalidPattern, match="equals-ignore-case match pattern must be a string literal"):
        parse_pattern(json.dumps({"detail": {"backupJobId": [{"equals-ignore-case": 7}]}}))


def event_with(**detail: object) -> dict:
    return {"source": "aws.backup", "resources": [], "detail": detail}


def matched(pattern: dict, event: dict) -> bool:
    return matches(parse_pattern(json.dumps(pattern)), event)


@pytest.mark.parametrize("state, expected", [("initializing", False), ("INITIALIZING", False), ("running", True)])
def test_anything_but_ignoring_case_excludes_every_letter_case(state, expected):
    # "Comparison operators for use in event patterns in Amazon EventBridge": "Anything-but (ignore case)".
    pattern = {"detail": {"state": [{"anything-but": {"equals-ignore-case": "Initializing"}}]}}
    assert matched(pattern, event_with(state=state)) is expected


@pytest.mark.parametrize("path, expected", [("/usr/lib/x.so", False), ("/lib/", False), ("/usr/bin/x", True)])
def test_anything_but_a_wildcard_excludes_what_the_wildcard_matches(path, expected):
    # The same page: "Anything-but using a wildcard", "FilePath" : [{ "anything-but": { "wildcard": "*/lib/*" }}].
    assert matched({"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}},
                   event_with(FilePath=path)) is expected


def test_anything_but_refuses_a_nested_filter_it_does_not_take():
    with pytest.raises(InvalidPattern, match="Unsupported anything-but pattern"):
        parse_pattern(json.dumps({"detail": {"state": [{"anything-but": {"numeric": [">", 1]}}]}}))


@pytest.mark.parametrize("pattern, value, expected", [
    (r"a\*b", "a*b", True), (r"a\*b", "axxb", False), ("a*b", "axxb", True),
    (r"a\\b", "a\\b", True), (r"a\\*", "a\\tail", True), ("*", "", True),
])
def test_a_backslash_escapes_an_asterisk_or_a_backslash_in_a_wildcard(pattern, value, expected):
    assert matched({"detail": {"name": [{"wildcard": pattern}]}}, event_with(name=value)) is expected


def test_an_empty_array_holds_no_value_so_only_exists_false_matches_it():
    event = event_with(state="CREATED")  # a CREATED backup event: "resources": []
    assert matched({"resources": [{"exists": False}]}, event)
    assert not matched({"resources": [{"exists": True}]}, event)
    assert not matched({"resources": [{"anything-but": "x"}]}, event)


def test_fields_below_a_leaf_are_absent():
    event = event_with(state="RUNNING")
    assert matched({"detail": {"state": {"below": [{"exists": False}]}}}, event)
    assert not matched({"detail": {"state": {"below": [{"exists": True}]}}}, event)
