"""Property fuzzing: any input gets exactly one answer, a clear reason, and no job unless it is valid."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

import backup_jobs_rules as rules
from provider_events import LambdaContext, ROLE_ARN, VAULT, make_event
from reliability_sizes import FUZZ_EXAMPLES

JUNK_NAMES = ["", "ServiceToken2", "backupvaultname", "Lifecycle.DeleteAfterDays", "💾", "x" * 300]
NAMES = sorted({m.name for m in rules.BACKUP_JOB_RESOURCE.members} | {m.name for m in rules.COPY_JOB_RESOURCE.members})
SCALARS = st.one_of(
    st.text(max_size=300), st.sampled_from(["true", "false", "TRUE", "-1", "0", "60", " 60 ", "1e3", "9" * 30]),
    st.integers(min_value=-10**20, max_value=10**20).map(str), st.integers(), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=20), inner, max_size=4), max_leaves=8)
RANDOM_PROPERTIES = st.dictionaries(st.sampled_from(NAMES + JUNK_NAMES) | st.text(max_size=40), VALUES, max_size=12)

VALID = {
    "Custom::BackupJob": {"BackupVaultName": VAULT, "IamRoleArn": ROLE_ARN, "StartWindowMinutes": "60",
                          "ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
                          "Lifecycle": {"DeleteAfterDays": "35"}, "RecoveryPointTags": {"k": "secret-tag-value"}},
    "Custom::CopyJob": {"SourceBackupVaultName": VAULT, "IamRoleArn": ROLE_ARN,
                        "RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:missing",
                        "DestinationBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:copy-vault"},
}


@st.composite
def mutated_valid(draw: Any, resource_type: str) -> dict[str, Any]:
    """A valid property set with one member replaced, removed or added: the interesting edge."""
    properties = dict(VALID[resource_type])
    name = draw(st.sampled_from(NAMES + JUNK_NAMES))
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove":
        properties.pop(name, None)
    else:
        properties[name] = draw(VALUES)
    return properties


@st.composite
def valid_with_random_tags(draw: Any, resource_type: str) -> dict[str, Any]:
    """A valid property set with random (unicode, edge-length) tags: the accepting path."""
    properties = dict(VALID[resource_type])
    if resource_type == "Custom::BackupJob":
        properties["RecoveryPointTags"] = draw(st.dictionaries(
            st.text(min_size=1, max_size=128).filter(lambda k: not k.lower().startswith("aws:")),
            st.text(max_size=256), max_size=50))
    return properties


def test_handler_fuzz(provider, cfn, backup_api, record):
    outcomes = {"SUCCESS": 0, "FAILED": 0}
    problems: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data(), resource_type=st.sampled_from(sorted(VALID)))
    def one(data: Any, resource_type: str) -> None:
        properties = data.draw(st.one_of(RANDOM_PROPERTIES, mutated_valid(resource_type),
                                         valid_with_random_tags(resource_type)))
        jobs_before = len(backup_api.state.backup_jobs) + len(backup_api.state.copy_jobs)
        event = make_event(cfn, "Create", resource_type, properties)
        provider.handler(event, LambdaContext(deadline=time.monotonic() + 30))  # must not raise
        answers = cfn.responses_for(event["ResponseURL"])
        assert len(answers) == 1, f"{len(answers)} responses"
        answer = answers[0]
        jobs_made = len(backup_api.state.backup_jobs) + len(backup_api.state.copy_jobs) - jobs_before
        assert answer["Status"] in outcomes
        outcomes[answer["Status"]] += 1
        started = answer["Status"] == "SUCCESS" and bool(next(iter(answer["Data"].values()), ""))
        assert jobs_made == (1 if started else 0), (properties, answer)
        if answer["Status"] == "FAILED":
            assert 0 < len(answer["Reason"]) < 256, answer["Reason"]
            assert not answer["Reason"].startswith("Internal error"), answer["Reason"]

    try:
        one()
    except AssertionError as error:
        problems.append(str(error)[:300])
        raise
    finally:
        record("Property fuzzing (handler)", "random, mutated-valid and valid-with-random-tags properties, both types",
               cases=sum(outcomes.values()), failures=len(problems), duplicates=0, hung=0,
               succeeded=outcomes["SUCCESS"], refused=outcomes["FAILED"])


def test_construct_fuzz(record):
    from aws_cdk import App, Duration, Stack, aws_iam as iam

    from cdk_backup_jobs import BackupJob, JobLifecycle, JobValidationError

    counts = {"accepted": 0, "refused": 0}
    text = st.text(max_size=80)

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(vault=st.one_of(text, st.from_regex(rules.VAULT_NAME_PATTERN, fullmatch=True)),
           arn=st.one_of(text, st.just("arn:aws:dynamodb:us-east-1:123456789012:table/t")),
           start=st.none() | st.integers(min_value=60, max_value=52_560_000).map(float)
           | st.floats(min_value=0, max_value=10**9, allow_nan=False),
           delete_days=st.none() | st.integers(min_value=0, max_value=10**6),
           cold_days=st.none() | st.integers(min_value=0, max_value=10**6),
           tags=st.none() | st.dictionaries(text, st.text(max_size=300), max_size=60),
           options=st.none() | st.just({"WindowsVSS": "enabled"}) | st.dictionaries(text, text, max_size=3),
           index=st.none() | st.sampled_from(["ENABLED", "DISABLED"]) | text, wait=st.booleans(),
           timeout=st.none() | st.integers(min_value=0, max_value=200))
    def one(vault: str, arn: str, start: float | None, delete_days: int | None, cold_days: int | None,
            tags: dict[str, str] | None, options: dict[str, str] | None, index: str | None, wait: bool,
            timeout: int | None) -> None:
        stack = Stack(App(), "Fuzz")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        lifecycle = JobLifecycle(
            delete_after=Duration.days(delete_days) if delete_days is not None else None,
            move_to_cold_storage_after=Duration.days(cold_days) if cold_days is not None else None)
        try:
            BackupJob(stack, "Job", backup_vault=vault, resource_arn=arn, role=role,
                      start_window=Duration.minutes(start) if start is not None else None,
                      lifecycle=lifecycle, recovery_point_tags=tags, backup_options=options, index=index,
                      wait_for_completion=wait,
                      timeout=Duration.minutes(timeout) if timeout is not None else None)
            counts["accepted"] += 1
        except JobValidationError as error:
            assert "Fuzz/Job" in str(error)
            counts["refused"] += 1

    failures = 0
    try:
        one()
    except Exception:
        failures = 1
        raise
    finally:
        record("Property fuzzing (synth)", "random BackupJob props", cases=sum(counts.values()),
               failures=failures, succeeded=counts["accepted"], refused=counts["refused"])
