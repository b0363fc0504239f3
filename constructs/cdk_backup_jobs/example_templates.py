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


def main(argv: list[str] | None = None) -> None:
    """Print every example template's path, one a line; ``--help`` says so."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.example_templates",
        description="Print the path of every example CloudFormation template this package ships, one a line "
                    "(for example to pass one to `aws cloudformation deploy --template-file`).")
    parser.parse_args(argv)
    for template in example_templates():
        print(template)


if __name__ == "__main__":
    main()
