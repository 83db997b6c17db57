"""PyInstaller runtime hook of the desktop bundle (packaging/ibdesk.spec): the programs the
terminal starts get the library path the user started it with.

The bundle's bootloader puts its ``_internal/`` folder first on ``LD_LIBRARY_PATH`` (the
user's value, if any, saved in ``LD_LIBRARY_PATH_ORIG``), and every child inherits that: a
system program the terminal starts (``xdg-open`` for Help -> Open log folder, a shell, a
file manager) would load the bundle's libreadline, libglib... instead of its own and can
fail ("symbol lookup error"). The dynamic loader of this process read the variable when it
started, so restoring it here changes only what children see; the bundle's own gateway
child (``ibdesk --run-sim-gateway``) gets the bundle's path from its bootloader again, and
``app.qtplatform`` gives ``ldd`` the bundle's path itself. Source: PyInstaller manual,
"Run-time Information", "LD_LIBRARY_PATH / LIBPATH considerations".
"""

import os


def restore_library_path(environ=os.environ) -> None:
    """``LD_LIBRARY_PATH`` back to ``LD_LIBRARY_PATH_ORIG`` (dropped when there is none)."""
    original = environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        environ.pop("LD_LIBRARY_PATH", None)
    else:
        environ["LD_LIBRARY_PATH"] = original


restore_library_path()
