"""The simulated bus's content filters, as the EventBridge User Guide documents them
("Content filtering in Amazon EventBridge event patterns")."""

from __future__ import annotations

import json

import pytest

from cdk_backup_jobs.testing.event_patterns import InvalidPattern, matches, parse_pattern

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
