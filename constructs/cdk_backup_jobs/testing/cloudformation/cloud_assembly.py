"""Templates from a cloud assembly (a cdk.out folder), found by the names ``cdk synth`` gives its stacks.

The assembly's ``manifest.json`` lists each stack as an artifact of type
``aws:cloudformation:stack``: its artifact ID (the construct's ID, also the
``cdk deploy`` name), its ``templateFile``, and its ``stackName`` when that
differs. A stack is found by either name; a name that is neither is an error
listing the stacks the assembly has, so a typo or the wrong folder shows at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"  # a Stage's stacks, in their own folder


class StackNotInAssembly(FileNotFoundError):
    """The cloud assembly has no stack of that name; the message lists the names it has."""


def read_assembly_template(assets_dir: str | Path, stack_name: str) -> dict[str, Any]:
    """The template that ``cdk synth`` wrote for a stack (by artifact ID or stack name)."""
    folder = Path(assets_dir)
    stacks = _named(folder)
    by_name = [file for name, file in stacks.values() if name == stack_name]
    template_file = stacks[stack_name][1] if stack_name in stacks else next(iter(by_name), None)
    if template_file is None and (folder / f"{stack_name}.template.json").is_file():
        template_file = f"{stack_name}.template.json"  # written beside the manifest, not listed in it
    if template_file is None:
        raise StackNotInAssembly(_not_found(folder, stack_name))
    loaded: dict[str, Any] = json.loads((folder / template_file).read_text())
    return loaded


def provider_functions(assets_dir: str | Path, stack: str, stack_name: str | None = None) -> dict[str, Path]:
    """The Python functions of a provider's stack in a cloud assembly, as ``functions=`` takes them: ServiceToken
    (the function's ARN once the simulator deploys that stack) -> its code folder, the ``asset.<hash>`` folder
    of ``assets_dir`` whose hash is the function's ``Code.S3Key``.

    ``stack`` is the stack's artifact ID or stack name in the assembly; ``stack_name`` the name the simulator
    deploys it under (default: its stack name in the assembly). A function whose asset folder is missing, or
    whose Runtime is not Python, is left out, as the simulator cannot run it.
    """
    from cdk_backup_jobs.testing.cloudformation.fake_resources import fake_resource  # reads the registry schemas

    folder = Path(assets_dir)
    template = read_assembly_template(folder, stack)
    stacks = _named(folder)
    name = stack_name or (stacks[stack][0] if stack in stacks else stack)
    found: dict[str, Path] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        key = str(properties.get("Code", {}).get("S3Key", ""))
        runtime = str(properties.get("Runtime", ""))
        code_dir = folder / f"asset.{key.removesuffix('.zip')}"
        if resource.get("Type") != "AWS::Lambda::Function" or not key or not runtime.startswith("python") \
                or not code_dir.is_dir():
            continue
        named = {"FunctionName": properties["FunctionName"]} if isinstance(properties.get("FunctionName"), str) else {}
        _, attributes = fake_resource(name, logical_id, "AWS::Lambda::Function", named)
        found[str(attributes["Arn"])] = code_dir
    return found


def stack_names(assets_dir: str | Path) -> list[str]:
    """The artifact IDs of the assembly's stacks (``<id> (stack name <name>)`` where they differ)."""
    return [artifact if name == artifact else f"{artifact} (stack name {name})"
            for artifact, (name, _) in sorted(_named(Path(assets_dir)).items())]


def _named(folder: Path) -> dict[str, tuple[str, str]]:
    """Artifact ID -> (stack name, template file), from the manifest, or the template files without one."""
    manifest = _manifest(folder)
    if not manifest:
        return {p.name.removesuffix(".template.json"): (p.name.removesuffix(".template.json"), p.name)
                for p in folder.glob("*.template.json")}
    found: dict[str, tuple[str, str]] = {}
    for artifact, entry in manifest.get("artifacts", {}).items():
        if entry.get("type") == STACK_ARTIFACT:
            properties = entry.get("properties", {})
            found[artifact] = (str(properties.get("stackName", artifact)),
                               str(properties.get("templateFile", f"{artifact}.template.json")))
    return found


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _not_found(folder: Path, stack_name: str) -> str:
    if not folder.is_dir():
        return (f"No cloud assembly at {folder}: synthesize the app there first "
                "(App(outdir=...) then app.synth(), or cdk synth -o ...)")
    names = stack_names(folder)
    stages = [str(entry.get("properties", {}).get("directoryName", artifact))
              for artifact, entry in _manifest(folder).get("artifacts", {}).items()
              if entry.get("type") == NESTED_ASSEMBLY]
    has = f"its stacks are: {', '.join(names)}" if names else "it has no stacks"
    nested = f"; stages have their own assembly folders: {', '.join(stages)}" if stages else ""
    return f"Stack {stack_name!r} is not in the cloud assembly at {folder}: {has}{nested}"
