"""A typed test of one's own stack needs no ``Any``: every fixture's type is exported by cdk_backup_jobs.testing."""

from __future__ import annotations

import inspect
import typing

import cdk_backup_jobs.testing as testing
from cdk_backup_jobs.testing import pytest_plugin

FIXTURES = ("aws_backup", "cfn_responses", "cfn_scheduler", "cfn_stack")


def fixture_type(name: str) -> object:
    """What a test receives from the plugin's fixture ``name``: its return annotation, or what it yields."""
    function = getattr(pytest_plugin, name)
    function = getattr(function, "__wrapped__", None) or getattr(function, "_get_wrapped_function", lambda: function)()
    returned = typing.get_type_hints(function)["return"]
    if typing.get_origin(returned) in (typing.Iterator, typing.Generator) or \
            getattr(typing.get_origin(returned), "__name__", "") in ("Iterator", "Generator"):
        returned = typing.get_args(returned)[0]
    return returned


def test_every_fixture_yields_a_type_the_testing_package_exports():
    for name in FIXTURES:
        returned = fixture_type(name)
        assert inspect.isclass(returned), (name, returned)
        assert returned.__name__ in testing.__all__, (name, returned)
        assert getattr(testing, returned.__name__) is returned


def test_the_fixture_types_are_importable_by_name():
    from cdk_backup_jobs.testing import (CfnStackFactory, RunningBackupServer, RunningEventsServer,  # noqa: F401
                                         RunningResponseServer)

    assert fixture_type("aws_backup") is RunningBackupServer
    assert fixture_type("cfn_stack") is CfnStackFactory
