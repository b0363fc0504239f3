"""``./dev test-live``: the scenarios on AWS, in the caller's account and Region, with an explicit opt-in.

Without ``--yes-create-resources``, or without credentials and a Region, it refuses in one line and
makes no call at all. Otherwise it checks the prerequisites (``prerequisites``) and says what is missing,
prints what it will create and what that may cost (``costs``), runs the scenarios, and removes
everything it created, recovery points included, printing what it created, removed and measured.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from typing import Sequence

FLAG = "--yes-create-resources"
NEEDS = (f"./dev test-live creates AWS resources (stacks, a DynamoDB table, backups; removed at the end) and "
         f"needs {FLAG}, AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and a Region "
         "(AWS_REGION or AWS_DEFAULT_REGION)")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    from live.scenarios import BY_NAME

    parser = argparse.ArgumentParser(prog="./dev test-live", description=__doc__)
    parser.add_argument(FLAG, dest="yes", action="store_true", help="create resources in the caller's account")
    parser.add_argument("--scenario", action="append", choices=sorted(BY_NAME),
                        help="run only this scenario (repeatable); default: all")
    parser.add_argument("--prefix", default=f"cbj-live-{int(time.time())}", help="the run's stack and vault prefix")
    return parser.parse_args(argv)


def refusal(argv: Sequence[str]) -> str | None:
    """The one line that refuses the run, or None. Reads only the arguments and the local configuration:
    no network (credentials from the environment, files, or a provider the caller configured)."""
    if FLAG not in argv:
        return f"refused: {NEEDS}; nothing was created"
    import botocore.session

    session = botocore.session.Session()
    missing = [what for what, found in (("AWS credentials", session.get_credentials()),
                                        ("Region", region(session))) if not found]
    if missing:
        return f"refused: found no {' and no '.join(missing)}; {NEEDS}; nothing was created"
    return None


def region(session: object) -> str | None:
    """The caller's Region: botocore's (AWS_DEFAULT_REGION, the profile), else AWS_REGION, which the CDK CLI
    and the AWS SDKs for other languages read."""
    import os

    return session.get_config_variable("region") or os.environ.get("AWS_REGION")  # type: ignore[attr-defined]


def main(argv: Sequence[str]) -> int:
    refused = refusal(argv)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    args = parse(argv)
    import boto3

    from live import costs, prerequisites
    from live.live_target import LiveTarget
    from live.scenarios import BY_NAME, EXPORT, LONG_WAIT_VAULTS, SCENARIOS, Run, clean_up, set_up

    chosen = [BY_NAME[name] for name in args.scenario] if args.scenario else list(SCENARIOS)
    session = boto3.Session()
    session = boto3.Session(region_name=region(session._session))
    target = LiveTarget(session)
    long_wait = any(s.name == "long-wait-template" for s in chosen)
    facts = prerequisites.gather(session, free_vault_names=LONG_WAIT_VAULTS if long_wait else (),
                                 free_export_names=(EXPORT,) if long_wait else ())
    problems = prerequisites.problems(facts, target.region)
    if problems:
        print(f"not ready in account {target.account}, {target.region}:", *problems, sep="\n  - ")
        return 1
    print(f"account {target.account}, Region {target.region}, prefix {args.prefix}")
    print("will create: a Base stack (an empty on-demand DynamoDB table, two backup vaults, a job role), and per "
          "scenario its stacks and recovery points:", ", ".join(s.name for s in chosen))
    print(*costs.estimate(chosen, costs.load_prices()).lines, sep="\n")
    run, failed = Run(args.prefix), []
    try:
        set_up(target, run)
        assert run.base is not None
        vaults = [session.client("backup").describe_backup_vault(BackupVaultName=name)
                  for name in (run.base.vault, run.base.copies)]
        blocked = [problem for vault in vaults for problem in prerequisites.vault_problems(vault)]
        if blocked:  # an organization's policy may lock new vaults: the run could not clean up
            failed.append(("vaults", "; ".join(blocked)))
        for scenario in chosen if not blocked else []:
            print(f"--- {scenario.name}")
            try:
                scenario.run(target, run)
                print(f"PASSED {scenario.name}")
            except Exception as error:  # each scenario is reported, the others still run
                traceback.print_exc()
                failed.append((scenario.name, str(error)))
    finally:
        clean_up(target, run)
        print(*target.ledger.summary(), sep="\n")
    for name, why in failed:
        print(f"FAILED {name}: {why}")
    return 1 if failed or target.ledger.left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
