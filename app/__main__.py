"""``ibdesk`` / ``python -m app``: the terminal's command-line entry point."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from app.application import run
    from app.cli import parse_args

    opts = parse_args(sys.argv[1:] if argv is None else argv)
    return run(opts)


if __name__ == "__main__":
    sys.exit(main())
