"""Run mutmut on the safety core and print the score: ``python -m tests.mutation``.

Runs ``mutmut run`` (configuration: ``[tool.mutmut]`` in pyproject.toml) with one worker
per core, then :mod:`tests.mutation.score`. ``--clean`` deletes ``mutants/`` first (mutmut
otherwise reuses the results of functions whose source did not change); other arguments
go to the score (``--survivors``, ``--logic-only``, ``--min``, ``--min-logic``). Exit
status: mutmut's when it fails, else the score's (1 below the targets).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.mutation import score


def main(argv: list[str]) -> int:
    clean = "--clean" in argv
    argv = [a for a in argv if a != "--clean"]
    os.chdir(score.ROOT)
    if clean:
        shutil.rmtree(score.MUTANTS, ignore_errors=True)
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        print(f"mutmut is not installed beside {sys.executable}: pip install -e '.[test,mutation]'",
              file=sys.stderr)
        return 2
    run = subprocess.run([str(mutmut), "run", "--max-children", str(os.cpu_count() or 1)],
                         stdout=subprocess.DEVNULL)
    if run.returncode:
        print(f"mutmut run failed (exit {run.returncode}); see `mutmut run` output", file=sys.stderr)
        return run.returncode
    return score.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
