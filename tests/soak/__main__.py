"""``python -m tests.soak --minutes 10 --seed 1 --speed 30``: the on-demand soak run (see README.md)."""

import sys

from tests.soak.harness import main

sys.exit(main())
