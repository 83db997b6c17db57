"""``ibdesk`` / ``python -m app``: the terminal's command-line entry point."""

from __future__ import annotations

import sys

# numpy and pandas before anything imports PySide6: PySide6's __feature__ import hook reads
# the source (inspect.getsource) of every module imported after it, which made importing
# pandas ~0.3 s slower at every start (median import of app.application 1.16 -> 0.85 s)
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Run the terminal with ``argv`` (default ``sys.argv[1:]``; app.cli) and return its exit
    code; with the hidden first argument ``--run-sim-gateway`` run the simulated gateway
    instead (``app.sim``'s arguments follow): the desktop bundle starts its demo gateway
    that way, having no ``python -m`` (app.simlauncher)."""
    from app.simlauncher import SIM_GATEWAY_ARG

    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == [SIM_GATEWAY_ARG]:
        from app.sim.__main__ import main as run_gateway

        return run_gateway(args[1:])
    from app.application import run
    from app.cli import parse_args

    opts = parse_args(args)
    return run(opts)


if __name__ == "__main__":
    sys.exit(main())
