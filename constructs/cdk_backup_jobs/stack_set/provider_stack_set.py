"""The provider stack deployed to an Organization's OUs and Regions by a service-managed StackSet."""

from __future__ import annotations

from typing import Any, Sequence

from aws_cdk import (Annotations, ArnFormat, CfnStackSet, Names, Stack, aws_s3 as s3,
                     aws_s3_deployment as s3_deployment)
from constructs import Construct

from cdk_backup_jobs.props.validation import is_unresolved, raise_problems, type_name
from cdk_backup_jobs.provider.provider_stack import DEFAULT_EXPORT_NAME
from cdk_backup_jobs.provider.scope import ORG_PATH, ProviderScope
from cdk_backup_jobs.stack_set.asset_bucket import asset_bucket_name, copy_provider_code, provider_code
from cdk_backup_jobs.stack_set.props import (EXPORT_NAME, OU_ID, REGION, STACK_SET_NAME, StackSetCallAs,
                                             StackSetConcurrencyMode, StackSetRegionConcurrency, bucket_prefix_problems,
                                             choice_problems, choice_value, list_problems, operation_preferences,
                                             region_order_problems)
from cdk_backup_jobs.stack_set.template import EXPORT_NAME_PARAMETER, TEMPLATE_BODY_LIMIT, provider_template

DESCRIPTION = "cdk-backup-jobs provider (Custom::BackupJob, Custom::CopyJob) in each account and Region"


class BackupJobsProviderStackSet(Construct):
    """The provider stack in every account of some OUs and Regions: a service-managed ``AWS::CloudFormation::StackSet``.

    Each stack instance is a ``BackupJobsProviderStack`` (its ServiceToken
    exported as ``export_name``, its rights narrowed by ``vault_names``, its
    job roles and copy destinations as the stack's: by default the roles under
    ``/backup-jobs/`` of each account, and copies into that account's vaults), carried inline as the StackSet's ``TemplateBody``. Its
    function's code is read from ``{asset_bucket_prefix}-{Region}`` in each
    Region: the buckets must exist beforehand in this stack's account, readable
    by the Organization (``BackupJobsAssetBucket``); unless told not to, this
    construct copies the code into each of them (a ``BucketDeployment`` per
    Region, which keeps earlier versions) before the StackSet is created or
    updated.

    :param organizational_unit_ids: the OUs (``ou-...``) or the root (``r-...``) whose accounts get the provider.
    :param regions: the Regions each of those accounts gets it in.
    :param asset_bucket_prefix: the buckets of the code are ``{asset_bucket_prefix}-{Region}``.
    :param export_name: the export of the ServiceToken in each account and Region (the template's
        ``ExportName`` parameter). Default: ``BackupJobsProviderServiceToken``.
    :param vault_names: the vaults jobs may back up into (not empty). Default: all (``backup-vault:*``).
    :param job_role_arns: the roles jobs may pass to AWS Backup (not empty; ``*`` for the account).
        Default: each account's roles under ``/backup-jobs/``, unless ``allow_any_job_role``.
    :param allow_any_job_role: let jobs pass any role of the account (``role/*``). Default: False.
    :param copy_targets: the vaults copies may go into (ARNs or patterns, not empty). Default: each account's
        own vaults, in every Region, unless ``copy_target_org_paths`` is given.
    :param copy_target_org_paths: AWS Organizations paths (``o-id/*``) of the accounts copies may go into,
        besides ``copy_targets``. Default: none.
    :param allow_any_copy_target: let copies go into any vault that accepts them. Default: False.
    :param auto_deployment: deploy to accounts that join the OUs later (and remove from those that leave).
        Default: True.
    :param retain_stacks_on_account_removal: keep the stack of an account that leaves (only with
        ``auto_deployment``). Default: False.
    :param max_concurrent_percentage: the most accounts per Region an operation acts on at once, in percent
        (1-100). Default: 25, unless ``max_concurrent_count`` is given.
    :param max_concurrent_count: the same, as a count (1 or more). Default: none (the percentage).
    :param failure_tolerance_percentage: the accounts per Region that may fail before the operation stops
        there, in percent (0-100). Default: 10, unless ``failure_tolerance_count`` is given.
    :param failure_tolerance_count: the same, as a count (0 or more). Default: none (the percentage).
    :param region_concurrency: the Regions at once (PARALLEL) or one by one (SEQUENTIAL). Default: PARALLEL.
    :param concurrency_mode: how failures lower the concurrency. Default: CloudFormation's
        (STRICT_FAILURE_TOLERANCE).
    :param region_order: the order of the Regions (some or all of ``regions``) for an operation run one Region
        after another; CloudFormation does not follow it with auto-deployment (synth warns). Default: none
        (CloudFormation's order).
    :param call_as: SELF from the Organization's management account, DELEGATED_ADMIN from a delegated
        administrator. Default: SELF.
    :param stack_set_name: the StackSet's name. Default: one made from the construct's path (which changes
        if the construct moves: its replacement's instances would then collide with the old ones' exports,
        so name it if anything depends on it).
    :param copy_code: copy the code into each Region's bucket from this stack. False: the buckets get it
        otherwise, such as from a ``BackupJobsAssetBucket`` with ``copy_code`` in their own Region (needed for
        opt-in Regions, where a copy from another Region fails). Default: True.
    """

    def __init__(self, scope: Construct, construct_id: str, *, organizational_unit_ids: Sequence[str],
                 regions: Sequence[str], asset_bucket_prefix: str, export_name: str = DEFAULT_EXPORT_NAME,
                 vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                 allow_any_job_role: bool = False, copy_targets: Sequence[str] | None = None,
                 copy_target_org_paths: Sequence[str] | None = None, allow_any_copy_target: bool = False,
                 auto_deployment: bool = True, retain_stacks_on_account_removal: bool = False,
                 max_concurrent_percentage: int | None = None, max_concurrent_count: int | None = None,
                 failure_tolerance_percentage: int | None = None, failure_tolerance_count: int | None = None,
                 region_concurrency: StackSetRegionConcurrency | str = StackSetRegionConcurrency.PARALLEL,
                 concurrency_mode: StackSetConcurrencyMode | str | None = None,
                 region_order: Sequence[str] | None = None,
                 call_as: StackSetCallAs | str = StackSetCallAs.SELF,
                 stack_set_name: str | None = None, copy_code: bool = True) -> None:
        super().__init__(scope, construct_id)
        name = stack_set_name if stack_set_name is not None else \
            Names.unique_resource_name(self, max_length=128, separator="-")
        problems = [
            *list_problems("organizational_unit_ids", organizational_unit_ids, OU_ID, "OU ID"),
            *list_problems("regions", regions, REGION, "Region name"),
            *list_problems("vault_names", vault_names, None, "vault name", required=False, tokens=False),
            *list_problems("job_role_arns", job_role_arns, None, "role ARN", required=False, tokens=False),
            *list_problems("copy_targets", copy_targets, None, "vault ARN", required=False, tokens=False),
            *list_problems("copy_target_org_paths", copy_target_org_paths, ORG_PATH, "organization path",
                           required=False, tokens=False),
            *_pattern_problems("export_name", export_name, EXPORT_NAME),
            *_pattern_problems("stack_set_name", name, STACK_SET_NAME),
            *_flag_problems(auto_deployment=auto_deployment,
                            retain_stacks_on_account_removal=retain_stacks_on_account_removal, copy_code=copy_code),
            *choice_problems("call_as", call_as, StackSetCallAs),
            *region_order_problems(region_order, regions),
        ]
        if isinstance(regions, (list, tuple)):
            problems += bucket_prefix_problems(asset_bucket_prefix, regions)
        preference_problems, preferences = operation_preferences(
            max_concurrent_percentage=max_concurrent_percentage, max_concurrent_count=max_concurrent_count,
            failure_tolerance_percentage=failure_tolerance_percentage, failure_tolerance_count=failure_tolerance_count,
            region_concurrency=region_concurrency, concurrency_mode=concurrency_mode, region_order=region_order)
        provider_scope = ProviderScope(job_role_arns=job_role_arns, allow_any_job_role=allow_any_job_role,
                                       copy_targets=copy_targets, copy_target_org_paths=copy_target_org_paths,
                                       allow_any_copy_target=allow_any_copy_target)
        problems += provider_scope.flag_problems()
        self._raise([*problems, *preference_problems])
        if region_order is not None and auto_deployment:
            # "RegionOrder isn't followed if AutoDeployment is enabled."
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html)
            Annotations.of(self).add_warning_v2(
                "cdk-backup-jobs:stack-set-region-order",
                "region_order is given with auto_deployment: CloudFormation does not follow RegionOrder when "
                "AutoDeployment is enabled.")

        self.provider_template = provider_template(asset_bucket_prefix=asset_bucket_prefix,
                                                   vault_names=vault_names, scope=provider_scope)
        body = self.provider_template.body
        if len(body.encode()) > TEMPLATE_BODY_LIMIT:
            self._raise([f"vault_names, job_role_arns and copy_targets make the provider's template {len(body.encode())} bytes, "
                         f"more than a StackSet's TemplateBody takes ({TEMPLATE_BODY_LIMIT}): list fewer, or "
                         "use patterns with *"])
        self.asset_deployments = self._copy_code(asset_bucket_prefix, regions) if copy_code else []
        self.stack_set = CfnStackSet(
            self, "StackSet",
            stack_set_name=name,
            description=DESCRIPTION,
            permission_model="SERVICE_MANAGED",
            call_as=str(choice_value(call_as)),
            auto_deployment=CfnStackSet.AutoDeploymentProperty(
                enabled=auto_deployment,
                retain_stacks_on_account_removal=retain_stacks_on_account_removal if auto_deployment else None),
            managed_execution={"Active": True},
            capabilities=self.provider_template.capabilities,
            operation_preferences=preferences,
            parameters=[CfnStackSet.ParameterProperty(parameter_key=EXPORT_NAME_PARAMETER,
                                                      parameter_value=export_name)],
            stack_instances_group=[CfnStackSet.StackInstancesProperty(
                deployment_targets=CfnStackSet.DeploymentTargetsProperty(
                    organizational_unit_ids=list(organizational_unit_ids)),
                regions=list(regions))],
            template_body=body,
        )
        for deployment in self.asset_deployments:
            self.stack_set.node.add_dependency(deployment)
        self.stack_set_name: str = name
        """The StackSet's name."""
        self.stack_set_id: str = self.stack_set.attr_stack_set_id
        """The StackSet's ID (``{name}:{uuid}``, known at deploy)."""
        self.stack_set_arn: str = Stack.of(self).format_arn(
            service="cloudformation", resource="stackset", resource_name=self.stack_set_id,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME)
        """The StackSet's ARN, for another StackSet's ``AutoDeployment.DependsOn``
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html)."""

    @property
    def asset_object_key(self) -> str:
        """The code's key in each Region's asset bucket: ``<hash of the code>.zip``."""
        return self.provider_template.asset_object_key

    def _copy_code(self, prefix: str, regions: Sequence[str]) -> list[s3_deployment.BucketDeployment]:
        """The code copied into each Region's bucket (the buckets of other Regions through S3's redirect)."""
        code = provider_code(self, "Code")
        return [copy_provider_code(self, f"AssetDeployment{index}", code, s3.Bucket.from_bucket_attributes(
                    self, f"AssetBucket{index}", bucket_name=asset_bucket_name(prefix, region), region=region))
                for index, region in enumerate(regions)]

    def _raise(self, problems: list[str]) -> None:
        raise_problems(self.node.path, "BackupJobsProviderStackSet", problems)


def _pattern_problems(prop: str, value: Any, pattern: Any) -> list[str]:
    if not isinstance(value, str):
        return [f"{prop} must be a string, got {type_name(value)}"]
    if is_unresolved(value) or pattern.match(value):
        return []
    return [f"{prop} must match {pattern.pattern}, got {value!r}"]


def _flag_problems(**flags: Any) -> list[str]:
    problems = [f"{prop} must be True or False, got {type_name(value)}"
                for prop, value in flags.items() if not isinstance(value, bool)]
    if flags["retain_stacks_on_account_removal"] is True and flags["auto_deployment"] is False:
        problems.append("retain_stacks_on_account_removal applies only with auto_deployment, got it True "
                        "with auto_deployment False")
    return problems
