"""Where the example CloudFormation templates are: in the installed package, or in a source checkout.

PyPI shows the README without the repository, so its relative links to
``examples/`` lead nowhere there; the templates ship in the wheel as package
data (``cdk_backup_jobs/examples/cloudformation``), and
``python -m cdk_backup_jobs.example_templates`` prints their paths.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "examples"
"""Where an installed package holds them."""
SOURCE = Path(__file__).resolve().parent.parent.parent / "examples"
"""Where a source checkout (or an unpacked sdist) holds them."""


def examples_dir() -> Path:
    """The folder of the examples: the package's own copy, else the source checkout's ``examples/``."""
    return PACKAGED if PACKAGED.is_dir() else SOURCE


def example_templates() -> list[Path]:
    """Every example CloudFormation template, by name."""
    return sorted((examples_dir() / "cloudformation").glob("*.yaml"))


if __name__ == "__main__":
    for template in example_templates():
        print(template)
