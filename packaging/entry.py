"""Entry script of the desktop bundle (packaging/ibdesk.spec): ``ibdesk`` as ``python -m app``.

A file outside ``app/`` so that PyInstaller's analysis does not put ``app/`` itself on the
import path (its modules would be found twice, as ``cli`` and ``app.cli``).
"""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
