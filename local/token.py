"""``python3 dev.py token``: a token from the local issuer of ``dev.py serve --auth``.

    python3 dev.py token --scope picus:read,picus:write
    curl -H "Authorization: Bearer $(python3 dev.py token --scope picus:read)" .../picus/list

``--rotate`` gives the issuer a new signing key first; the running server accepts tokens signed
with it at once, without a restart.
"""

from __future__ import annotations

import argparse

from local.auth import LocalIssuer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dev.py token", description=__doc__.split("\n")[0])
    parser.add_argument("--scope", default="", help="comma-separated scope values")
    parser.add_argument("--sub", default="local-developer", help="who the token is for")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    parser.add_argument("--rotate", action="store_true", help="sign with a new key")
    args = parser.parse_args(argv)
    try:
        issuer = LocalIssuer.load()
    except FileNotFoundError as missing:
        parser.exit(1, f"{missing}\n")
    if args.rotate:
        issuer.rotate()
    scopes = [s.strip() for s in args.scope.split(",") if s.strip()]
    print(issuer.mint(scopes, subject=args.sub, lifetime_s=args.ttl))


if __name__ == "__main__":
    main()
