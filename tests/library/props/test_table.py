"""The one table per resource type (cdk_backup_jobs.props.table) is complete and agrees with the code.

Each construct's keyword props are its table's rows, each member of the
resource's shape is set by a row, and every conversion a row names is one the
library registers.
"""

from __future__ import annotations

import inspect

import pytest

from cdk_backup_jobs.props import table as prop_table
from cdk_backup_jobs.provider.rights import PROVIDER_PROP

TABLES = {"BackupJob": prop_table.BACKUP_JOB_PROPS, "CopyJob": prop_table.COPY_JOB_PROPS}
ALL_TABLES = [*TABLES.values(), prop_table.LIFECYCLE_PROPS]


@pytest.mark.parametrize("class_name", sorted(TABLES))
def test_each_keyword_prop_is_one_row_of_its_table(class_name):
    import cdk_backup_jobs

    cls = getattr(cdk_backup_jobs, class_name)
    props = [name for name, p in inspect.signature(cls.__init__).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY and name != PROVIDER_PROP]  # the ServiceToken: no member
    rows = [row.prop for row in TABLES[class_name].rows]
    assert sorted(rows) == sorted(props)


def test_each_lifecycle_field_is_one_row():
    import dataclasses

    from cdk_backup_jobs import JobLifecycle

    assert [row.prop for row in prop_table.LIFECYCLE_PROPS.rows] == [f.name for f in dataclasses.fields(JobLifecycle)]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda table: table.shape.name)
def test_rows_set_exactly_the_members_of_the_shape_that_are_inputs(table):
    set_by_rows = {member for row in table.rows for member in row.members}
    assert set_by_rows == {m.name for m in table.shape.members if m.input_allowed}


def test_resource_types_find_their_tables():
    assert prop_table.PROPS_BY_RESOURCE_TYPE == {"Custom::BackupJob": prop_table.BACKUP_JOB_PROPS,
                                                 "Custom::CopyJob": prop_table.COPY_JOB_PROPS}


def test_every_conversion_named_is_described_and_registered_once():
    from cdk_backup_jobs.jobs.properties import CONVERSIONS

    named = {row.conversion for table in ALL_TABLES for row in table.rows}
    assert named == set(prop_table.CONVERSIONS) == set(CONVERSIONS)


def test_a_member_set_by_two_props_is_named_by_the_first():
    assert prop_table.COPY_JOB_PROPS.props_of("RecoveryPointArn") == ("recovery_point_arn", "source")
    assert prop_table.BACKUP_JOB_PROPS.props_of("RunOnDelete") == ("run_on",)
