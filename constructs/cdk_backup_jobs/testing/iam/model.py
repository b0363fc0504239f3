"""The simulated account's IAM: which calls a simulated function's role allows, and when a change takes effect.

Each simulated function signs with an access key of its own (``function_access_key``); the
services look the key up here to find the function, its role (the function's ``Role``) and
that role's policies, as the stacks' templates define them: ``AWS::IAM::Policy``,
``AWS::IAM::RolePolicy`` and ``AWS::IAM::ManagedPolicy`` attached to the role, and the role's
inline ``Policies``. A request signed with any other key (a test's own boto3 client) is
allowed, and so is a function whose role no simulated stack defines.

Policies are evaluated as IAM evaluates identity-based policies within one account ("Policy
evaluation logic", IAM User Guide): an explicit Deny wins, else an Allow is needed, else the
call is implicitly denied. ``Action``/``NotAction`` (case-insensitive) and
``Resource``/``NotResource`` are matched with ``*`` and ``?``. Not modelled: every
``Condition`` (a statement with one applies as if it held), managed policies the templates
do not define (``ManagedPolicyArns`` naming an AWS managed policy: listed in
``unresolved_managed_policies``, their statements not counted), permissions boundaries,
session policies, SCPs and resource-based policies.

A denial is answered as AWS words it ("Troubleshoot access denied error messages", IAM User
Guide: "User user is not authorized to perform action on resource because no type policy
allows the action action", or "with an explicit deny in a type policy"; the form a Lambda
role gets is quoted in aws/aws-cdk#37939).

IAM is eventually consistent: CloudFormation reports a policy or role created once IAM
accepted it, and a function invoked right after can be denied (aws/aws-cdk#37675, #18237,
#37939). A policy or role created or changed takes effect ``delay_seconds`` later; until
then its previous version (none, for a new one) is what counts. A role created that recently
cannot be assumed by AWS Backup either: StartBackupJob and StartCopyJob answer
InvalidParameterValueException "IAM Role ARN cannot be assumed by AWS Backup"
(hashicorp/terraform-provider-aws#9297). Time here is the simulation's clock (its virtual
time) plus the real time that passed: virtual time stands still while a function runs, and a
function that waits for IAM waits in real time.

moto's evaluator (``moto.iam.access_control.IAMPolicy``) was not used: it answers a
``NotResource`` statement as allowing every resource, matches action names case-sensitively
and has no ``?`` wildcard, and importing it loads moto's IAM, STS and S3 back ends.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from cdk_backup_jobs.testing.shared.account import default_place, register_access_key

DEFAULT_DELAY_SECONDS = 2.0
"""How long after a change IAM applies it, by default: a few seconds, as real IAM takes "usually ~2
seconds" (pulumi/pulumi-aws#2411), so that every simulated deployment exercises a provider's waiting for
its own new policy. A function waits for it in real time (virtual time stands still while it runs): about
3 s of each deployment whose provider policy is new. A test that is not about timing may set
``delay_seconds = 0``."""
BACKUP_PRINCIPAL = "backup.amazonaws.com"
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy")
ROLE_TYPE = "AWS::IAM::Role"
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def function_access_key(function_arn: str) -> str:
    """The access key a simulated function signs with: Lambda hands each role session its own (ASIA...)."""
    return "ASIA" + hashlib.sha256(function_arn.encode()).hexdigest()[:16].upper()


def access_key_of(authorization: str | None) -> str | None:
    """The access key ID in a SigV4 ``Authorization`` header."""
    found = CREDENTIAL.search(authorization or "")
    return found.group(1) if found else None


def _pattern(text: str, case_insensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.IGNORECASE if case_insensitive else 0)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches_any(patterns: Any, value: str, case_insensitive: bool = False) -> bool:
    return any(_pattern(p, case_insensitive).match(value) for p in _listed(patterns))


def statement_effect(statement: Mapping[str, Any], action: str, resource: str) -> str | None:
    """"Allow" or "Deny" if the statement applies to ``action`` on ``resource``, else None."""
    if "Action" in statement:
        if not _matches_any(statement["Action"], action, case_insensitive=True):
            return None
    elif "NotAction" not in statement or _matches_any(statement["NotAction"], action, case_insensitive=True):
        return None
    if "Resource" in statement:
        if not _matches_any(statement["Resource"], resource):
            return None
    elif "NotResource" not in statement or _matches_any(statement["NotResource"], resource):
        return None
    effect = statement.get("Effect")
    return str(effect) if effect in ("Allow", "Deny") else None


def evaluate(documents: Iterable[Any], action: str, resource: str) -> str | None:
    """"Deny" if any statement denies, else "Allow" if any allows, else None (an implicit deny)."""
    allowed = False
    for document in documents:
        if isinstance(document, str):
            document = json.loads(document)
        statements = document.get("Statement", []) if isinstance(document, Mapping) else []
        for statement in statements if isinstance(statements, list) else [statements]:
            effect = statement_effect(statement, action, resource) if isinstance(statement, Mapping) else None
            if effect == "Deny":
                return "Deny"
            allowed = allowed or effect == "Allow"
    return "Allow" if allowed else None


@dataclass
class Versioned:
    """A policy's or role's documents: those in effect since ``effective_at``, and the ones before."""

    current: Any
    previous: Any
    effective_at: float

    def now(self, at: float) -> Any:
        return self.current if at >= self.effective_at else self.previous

    def in_effect_by(self, at: float) -> "Versioned":
        """The same change, in effect at ``at`` at the latest."""
        return self if self.effective_at <= at else Versioned(self.current, self.previous, at)


@dataclass
class Denial:
    """A call the IAM model refused: who, what, and why (``pending``: a change not in effect yet)."""

    at: float
    function_arn: str
    action: str
    resource: str
    message: str
    pending: bool


@dataclass
class AccountIam:
    """The account's roles and policies from the simulated stacks, and the functions that use them."""

    account_id: str = field(default_factory=lambda: default_place().account_id)
    """The account this IAM is of (the services set it to their place's)."""
    clock: Callable[[], float] = time.time
    """The simulation's clock; the real time that passes is added to it (see the module docstring)."""
    delay_seconds: float | Callable[[str, str], float] = DEFAULT_DELAY_SECONDS
    """Seconds until a change takes effect: a number, or a function of the resource's type and logical ID."""
    functions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """access key -> (function ARN, role ARN)."""
    roles: dict[str, Versioned] = field(default_factory=dict)
    """role name -> its inline policy documents and managed policy ARNs, as a list of both."""
    policies: dict[tuple[str, str], Versioned] = field(default_factory=dict)
    """(stack ID, logical ID) -> (role names, document, ARN) of a policy resource."""
    denials: list[Denial] = field(default_factory=list)
    not_assumable: list[str] = field(default_factory=list)
    """Job role ARNs AWS Backup was asked to assume before they took effect, one per refused call."""
    unresolved_managed_policies: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _real_start: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return self.clock() + (time.monotonic() - self._real_start)

    # --- what the simulated stacks tell it -------------------------------------

    def register_function(self, function_arn: str, role_arn: str) -> str:
        """Note a function and its role; returns the access key it signs with, which names the function's
        account to every service (``shared.account.register_access_key``)."""
        parts = function_arn.split(":")
        account = parts[4] if len(parts) > 5 and parts[4] else self.account_id
        key = register_access_key(function_access_key(function_arn), account)
        with self.lock:
            self.functions[key] = (function_arn, role_arn)
        return key

    def key_of(self, function_arn: str) -> str | None:
        """The access key of a function a simulated stack defines, None for one no stack does."""
        key = function_access_key(function_arn)
        with self.lock:
            return key if key in self.functions else None

    def resource_changed(self, stack_id: str, logical_id: str, resource_type: str, physical_id: str,
                         properties: Mapping[str, Any]) -> None:
        """A role or policy created or updated by a stack operation: in effect ``delay_seconds`` from now."""
        delay = self.delay_seconds(resource_type, logical_id) if callable(self.delay_seconds) else self.delay_seconds
        with self.lock:
            at = self.now() + delay
            if resource_type == ROLE_TYPE:
                documents = [p.get("PolicyDocument") for p in properties.get("Policies") or []
                             if isinstance(p, Mapping)]
                current: dict[str, Any] = {"documents": documents,
                                           "managed": list(properties.get("ManagedPolicyArns") or []),
                                           "trusts_backup": trusts_service(properties.get("AssumeRolePolicyDocument"),
                                                                           BACKUP_PRINCIPAL)}
                old = self.roles.get(physical_id)
                self.roles[physical_id] = Versioned(current, old.now(at) if old else None, at)
            elif resource_type in POLICY_TYPES:
                roles = properties.get("Roles") or ([properties["RoleName"]] if "RoleName" in properties else [])
                arn = physical_id if resource_type == "AWS::IAM::ManagedPolicy" else ""
                current = {"roles": [str(r) for r in roles], "document": properties.get("PolicyDocument"),
                           "arn": arn}
                old = self.policies.get((stack_id, logical_id))
                self.policies[(stack_id, logical_id)] = Versioned(current, old.now(at) if old else None, at)

    def operation_started(self) -> None:
        """A new stack operation: the changes of the operations before it are in effect by now.

        The delay stands for the seconds after CloudFormation reported a change in which a call
        made right after it may still be denied ("a policy or role created or changed by the current
        operation takes effect a configurable delay later"); a later operation finds it in effect,
        however little simulated time passed in between.
        """
        with self.lock:
            now = self.now()
            for role, versioned in list(self.roles.items()):
                self.roles[role] = versioned.in_effect_by(now)
            for policy, versioned in list(self.policies.items()):
                self.policies[policy] = versioned.in_effect_by(now)

    def resource_removed(self, stack_id: str, logical_id: str, resource_type: str, physical_id: str) -> None:
        with self.lock:
            if resource_type == ROLE_TYPE:
                self.roles.pop(physical_id, None)
            self.policies.pop((stack_id, logical_id), None)

    # --- what the services ask -------------------------------------------------

    def denial(self, access_key: str | None, action: str, resource: str) -> str | None:
        """AWS's message if the caller's role does not allow ``action`` on ``resource`` now, else None."""
        with self.lock:
            caller = self.functions.get(access_key or "")
            if caller is None:
                return None  # not a simulated function: the test's own client
            function_arn, role_arn = caller
            role_name = role_arn.rsplit("/", 1)[-1]
            at = self.now()
            if role_name not in self.roles:
                return None  # a role no simulated stack defines: nothing to judge it by
            verdict = evaluate(self._documents(role_name, at), action, resource)
            pending = verdict != "Allow" and evaluate(self._documents(role_name, float("inf")), action,
                                                      resource) == "Allow"
            if verdict == "Allow":
                return None
            principal = f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{function_arn.rsplit(':', 1)[-1]}"
            why = ("with an explicit deny in an identity-based policy" if verdict == "Deny"
                   else f"because no identity-based policy allows the {action} action")
            message = f"User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"
            self.denials.append(Denial(at, function_arn, action, resource, message, pending))
            return message

    def role_not_assumable(self, role_arn: str) -> bool:
        """Whether ``role_arn`` is a role AWS Backup cannot assume: created so recently that it cannot yet,
        or one whose trust policy does not let ``backup.amazonaws.com`` assume it. AWS Backup's job role must
        trust that principal (AWS Backup Developer Guide, "IAM service roles"), and AWS Backup reports such a
        role as "The provided role ... cannot be assumed by AWS Backup." (awslabs/landing-zone-accelerator-on-aws#194,
        a backup plan's job). That StartBackupJob refuses it at once, as it refuses a role too new, is assumed:
        the live suite's failure scenario accepts either that or a job ending FAILED."""
        with self.lock:
            role = self.roles.get(role_arn.rsplit("/", 1)[-1])
            current = role.now(self.now()) if role is not None else None
            refused = role is not None and (current is None or not current.get("trusts_backup", True))
            if refused:
                self.not_assumable.append(role_arn)
            return refused

    def _documents(self, role_name: str, at: float) -> list[Any]:
        """The identity-based policy documents of a role in effect at ``at``."""
        role = self.roles[role_name].now(at) or {"documents": [], "managed": []}
        documents = [d for d in role["documents"] if d]
        attached = {str(a) for a in role["managed"]}
        known_arns = set()
        for policy in self.policies.values():
            version = policy.now(at)
            if version is None:
                continue
            known_arns.add(version["arn"])
            if role_name in version["roles"] or (version["arn"] and version["arn"] in attached):
                documents.append(version["document"])
        self.unresolved_managed_policies |= attached - known_arns
        return documents


def trusts_service(document: Any, service: str) -> bool:
    """Whether a role's trust policy allows ``service`` to assume it (``sts:AssumeRole``, or a wildcard);
    Conditions are not evaluated, as everywhere in this model. A document not given (a role whose trust is
    unresolved) counts as trusting it."""
    if not isinstance(document, Mapping):
        return True
    statements = document.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, Mapping) else []
        services = [services] if isinstance(services, str) else services
        if (any(str(a).lower() in ("sts:assumerole", "sts:*", "*") for a in actions)
                and (service in services or principal == "*")):
            return True
    return False
