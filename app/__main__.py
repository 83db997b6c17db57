"""``ibdesk`` / ``python -m app``: the terminal's command-line entry point."""

from __future__ import annotations

import sys

# numpy and pandas before anything imports PySide6: PySide6's __feature__ import hook reads
# the source (inspect.getsource) of every module imported after it, which made importing
# pandas ~0.3 s slower at every start (median import of app.application 1.16 -> 0.85 s)
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    from app.application import run
    from app.cli import parse_args

    opts = parse_args(sys.argv[1:] if argv is None else argv)
    return run(opts)


if __name__ == "__main__":
    sys.exit(main())
