"""The worst case of one release of a stack, and what the deploy job needs for it.

    python -m deploy.budget --stack prod

Prints each step's worst cost (components/release_budget.py), then the deploy job's
``timeout-minutes`` and the credentials' ``role-duration-seconds`` the workflow must give that
stack's job (tests hold .github/workflows/deploy.yml to them), and the role's maximum session
duration to set on its deploy role.
"""

from __future__ import annotations

import argparse
import sys

from components.stack_config import ConfigError, stack_release_budget
from deploy.pipeline import stack_file_of
from deploy.stack_cli import StackFiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.budget", description=__doc__)
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev or my-org/dev")
    args = parser.parse_args(argv)
    try:
        worst = stack_release_budget(StackFiles(stack_file_of(args.stack)))
    except ConfigError as error:
        print(f"FAIL  {error}")
        return 1
    print(worst.table())
    print(f"timeout-minutes: {worst.job_minutes}")
    print(f"role-duration-seconds: {worst.session_seconds}")
    print(f"the deploy role's maximum session duration: at least {worst.session_seconds} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
