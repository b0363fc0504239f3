"""Property fuzzing: any input gets exactly one answer, a clear reason, and no job unless it is valid."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cdk_backup_jobs_runtime.input import rules, shapes
from construct_props import COPY_VAULT_ARN, PROPS, RECOVERY_POINT_ARN, SynthTally, build, judge
from provider_events import LambdaContext, ROLE_ARN, VAULT, make_event
from reliability_sizes import FUZZ_EXAMPLES

pytestmark = pytest.mark.slow

JUNK_NAMES = ["", "ServiceToken2", "backupvaultname", "Lifecycle.DeleteAfterDays", "💾", "x" * 300]
NAMES = sorted({m.name for m in shapes.BACKUP_JOB_RESOURCE.members} | {m.name for m in shapes.COPY_JOB_RESOURCE.members})
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


SHAPES = {"Custom::BackupJob": shapes.BACKUP_JOB_RESOURCE, "Custom::CopyJob": shapes.COPY_JOB_RESOURCE}


@dataclass(frozen=True)
class Mutation:
    """What ``mutated_valid`` changed in a valid property set: one member removed or set."""

    member: str
    action: str  # "remove" or "set"
    value: Any = None

    def known_invalid(self, resource_type: str) -> bool:
        """Whether the result is invalid for reasons plain from the API model alone.

        Removing a required member; setting a name that is not a member of this
        type; setting null or a list (no member takes either); a non-object for
        an object member, or an object for a scalar one. Everything else (a
        string for a number, an out-of-range value) is left to the other checks.
        """
        member = SHAPES[resource_type].member(self.member)
        if self.action == "remove":
            return member is not None and member.required
        if member is None or self.value is None or isinstance(self.value, list):
            return True
        return (member.kind in ("structure", "map")) != isinstance(self.value, dict)


@st.composite
def mutated_valid(draw: Any, resource_type: str) -> tuple[dict[str, Any], Mutation]:
    """A valid property set with one member removed or set (replaced or added): the interesting edge."""
    properties = dict(VALID[resource_type])
    name = draw(st.sampled_from(NAMES + JUNK_NAMES))
    if draw(st.booleans()):
        properties.pop(name, None)
        return properties, Mutation(name, "remove")
    value = draw(VALUES)
    properties[name] = value
    return properties, Mutation(name, "set", value)


@st.composite
def valid_with_random_tags(draw: Any, resource_type: str) -> tuple[dict[str, Any], None]:
    """A valid property set with random (unicode, edge-length) tags: the accepting path."""
    properties = dict(VALID[resource_type])
    if resource_type == "Custom::BackupJob":
        properties["RecoveryPointTags"] = draw(st.dictionaries(
            st.text(min_size=1, max_size=128).filter(lambda k: not k.lower().startswith("aws:")),
            st.text(max_size=256), max_size=50))
    return properties, None


def random_properties() -> st.SearchStrategy[tuple[dict[str, Any], None]]:
    """Any property names and values at all: no oracle beyond "one answer, no job unless SUCCESS"."""
    return RANDOM_PROPERTIES.map(lambda properties: (properties, None))


def test_handler_fuzz(provider, cfn, backup_api, record):
    outcomes = {"SUCCESS": 0, "FAILED": 0}
    known_invalid = {"cases": 0, "refused": 0}
    problems: set[str] = set()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data(), resource_type=st.sampled_from(sorted(VALID)))
    def one(data: Any, resource_type: str) -> None:
        properties, mutation = data.draw(st.one_of(random_properties(), mutated_valid(resource_type),
                                                   valid_with_random_tags(resource_type)))
        invalid = mutation is not None and mutation.known_invalid(resource_type)
        try:
            answer, jobs_made = handle(provider, cfn, backup_api, resource_type, properties)
            outcomes[answer["Status"]] += 1
            started = answer["Status"] == "SUCCESS" and bool(next(iter(answer["Data"].values()), ""))
            assert jobs_made == (1 if started else 0), (properties, answer)
            if answer["Status"] == "FAILED":
                assert 0 < len(answer["Reason"]) < 256, answer["Reason"]
                assert not answer["Reason"].startswith("Internal error"), answer["Reason"]
            if invalid:
                known_invalid["cases"] += 1
                assert answer["Status"] == "FAILED" and jobs_made == 0, (mutation, answer)
                # Long names are clipped in the reason; the first 40 characters must be there.
                assert mutation.member[:40] in answer["Reason"], (mutation, answer["Reason"])
                known_invalid["refused"] += 1
        except AssertionError as error:
            problems.add(f"{resource_type} {mutation}: {error}"[:300])
            raise

    try:
        one()
    finally:
        record("Property fuzzing (handler)", "random, mutated-valid and valid-with-random-tags properties, both types",
               cases=sum(outcomes.values()), failures=len(problems), duplicates=0, hung=0,
               succeeded=outcomes["SUCCESS"], refused=outcomes["FAILED"],
               known_invalid_mutations=known_invalid["cases"],
               known_invalid_refused_naming_the_member=known_invalid["refused"])


def handle(provider: Any, cfn: Any, backup_api: Any, resource_type: str,
           properties: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """One Create through the real handler: its one answer, and how many jobs it started."""
    jobs_before = len(backup_api.state.backup_jobs) + len(backup_api.state.copy_jobs)
    event = make_event(cfn, "Create", resource_type, properties)
    provider.handler(event, LambdaContext(deadline=time.monotonic() + 30))  # must not raise
    answers = cfn.responses_for(event["ResponseURL"])
    assert len(answers) == 1, f"{len(answers)} responses"
    assert answers[0]["Status"] in ("SUCCESS", "FAILED"), answers[0]
    jobs_made = len(backup_api.state.backup_jobs) + len(backup_api.state.copy_jobs) - jobs_before
    return answers[0], jobs_made


# --- synth: BackupJob and CopyJob props ----------------------------------------

WRONG_TYPES = st.one_of(
    st.integers(), st.none(), st.booleans(), st.floats(),
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
    st.lists(st.integers() | st.text(max_size=8), max_size=3),
)
"""Plain values of the wrong type for most props (ints, None, dicts, lists, bools, floats): what a
Python caller can pass where the type hints ask for a vault, a role, an ARN or a Duration."""
SAMPLE_WRONG_TYPES = (0, 7, 1.5, True, False, None, {}, {"k": 1}, [], ["x"])
"""One of each, for the exhaustive sweep."""


def test_construct_fuzz_wrong_types(record):
    """One prop of BackupJob or CopyJob set to a plain value of any type: a wrong type is a
    JobValidationError naming the prop; nothing else ever escapes."""
    tally = SynthTally()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data(), construct=st.sampled_from(sorted(PROPS)))
    def one(data: Any, construct: str) -> None:
        prop = data.draw(st.sampled_from(PROPS[construct]))
        value = data.draw(WRONG_TYPES)
        tally.judge(lambda: build(construct, {prop.name: value}, drop=prop.alone),
                    None if prop.takes(value) else prop.name,
                    key=f"{construct}.{prop.name}={type(value).__name__}",
                    detail=f"{construct}(..., {prop.name}={value!r})")

    try:
        one()
    finally:
        record("Property fuzzing (synth)", "BackupJob and CopyJob, one prop of any plain type (ints, None, dicts,"
               " lists, bools, floats)", cases=tally.cases, failures=len(tally.problems), **tally.counts)


def test_every_prop_refuses_every_wrong_type(record):
    """Every prop of both constructs against one value of each plain type, so no prop is left to chance:
    every problem is listed at once, with where in the construct package it was raised."""
    cases, problems = 0, []
    for construct, props in sorted(PROPS.items()):
        for prop in props:
            for value in SAMPLE_WRONG_TYPES:
                cases += 1
                _, problem = judge(lambda: build(construct, {prop.name: value}, drop=prop.alone),
                                   None if prop.takes(value) else prop.name)
                if problem:
                    problems.append(f"{construct}.{prop.name}={value!r}: {problem}")
    record("Property fuzzing (synth)", "every prop of both constructs x one value of each plain type",
           cases=cases, failures=len(problems))
    assert problems == [], "\n".join(problems)


def test_the_fuzz_knows_every_prop():
    # A new prop must be added to construct_props.py, or the wrong-type fuzz would never try it.
    import inspect

    from cdk_backup_jobs import BackupJob, CopyJob

    for construct in (BackupJob, CopyJob):
        parameters = [name for name, p in inspect.signature(construct.__init__).parameters.items()
                      if p.kind is inspect.Parameter.KEYWORD_ONLY]
        fuzzed = [p.name for p in PROPS[construct.__name__] if "." not in p.name]
        assert sorted(fuzzed) == sorted(parameters), construct.__name__


def run_and_record_synth_fuzz(fuzz: Any, tally: SynthTally, record: Any, what: str) -> None:
    """Runs a construct fuzz, then records its tally, whether or not the fuzz passed."""
    try:
        fuzz()
    finally:
        record("Property fuzzing (synth)", what, cases=tally.cases,
               failures=len(tally.problems), succeeded=tally.counts["accepted"], refused=tally.counts["refused"])


def test_construct_fuzz(record):
    from aws_cdk import Duration

    from cdk_backup_jobs import JobLifecycle

    tally = SynthTally()
    text = st.text(max_size=80)

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(vault=st.one_of(text, st.from_regex(shapes.VAULT_NAME_PATTERN, fullmatch=True)),
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
        lifecycle = JobLifecycle(
            delete_after=Duration.days(delete_days) if delete_days is not None else None,
            move_to_cold_storage_after=Duration.days(cold_days) if cold_days is not None else None)
        props = dict(backup_vault=vault, resource_arn=arn,
                     start_window=Duration.minutes(start) if start is not None else None,
                     lifecycle=lifecycle, recovery_point_tags=tags, backup_options=options, index=index,
                     wait_for_completion=wait, timeout=Duration.minutes(timeout) if timeout is not None else None)
        tally.judge(lambda: build("BackupJob", props), None, detail=props)

    run_and_record_synth_fuzz(one, tally, record, "random BackupJob props")


def test_copy_job_construct_fuzz(record):
    from aws_cdk import Duration

    from cdk_backup_jobs import JobLifecycle

    tally = SynthTally()
    text = st.text(max_size=80)

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(source_vault=st.one_of(text, st.from_regex(shapes.VAULT_NAME_PATTERN, fullmatch=True)),
           destination=st.one_of(text, st.just(COPY_VAULT_ARN),
                                 st.from_regex(r"arn:aws:backup:[a-z]{2}-[a-z]+-[1-9]:\d{12}:backup-vault:[\w-]{2,50}",
                                               fullmatch=True)),
           recovery_point=st.one_of(text, st.just(RECOVERY_POINT_ARN)),
           token=st.none() | text, delete_days=st.none() | st.integers(min_value=0, max_value=10**6),
           wait=st.booleans(), timeout=st.none() | st.integers(min_value=0, max_value=200))
    def one(source_vault: str, destination: str, recovery_point: str, token: str | None,
            delete_days: int | None, wait: bool, timeout: int | None) -> None:
        props = dict(source_backup_vault=source_vault, destination_backup_vault=destination,
                     recovery_point_arn=recovery_point, idempotency_token=token,
                     lifecycle=JobLifecycle(delete_after=Duration.days(delete_days)) if delete_days is not None
                     else None, wait_for_completion=wait,
                     timeout=Duration.minutes(timeout) if timeout is not None else None)
        tally.judge(lambda: build("CopyJob", props), None, detail=props)

    run_and_record_synth_fuzz(one, tally, record, "random CopyJob props")
