"""Log files: what happened, readable after the fact (issue 11, "Diagnosable after the fact").

A started-from-the-desktop terminal has no terminal window, so stderr alone loses
everything. :func:`setup_logging` keeps, per profile, in ibdesk's XDG state folder
(``$XDG_STATE_HOME/ibdesk/<profile>/``, default ``~/.local/state/ibdesk/<profile>/``):

- ``ibdesk.log``: INFO and above of every logger: connection events (``ibdesk.broker``:
  each session state and stale/live change), every gateway error and warning code
  (``ibdesk.gateway``, via :func:`log_gateway_message` on ``Session.errorEvent``), every
  command outcome (``ibdesk.commands``: placed, rejected with the reason, failed) and
  ib_async's own order callbacks. Rotates at 5 MB, keeping 5 old files (``ibdesk.log.1`` ...).
- ``api.log`` (off by default): every raw API message sent (``>>>``) and received (``<<<``),
  the equivalent of TWS's "API logging". ib_async writes them on logger ``ib_async.client``
  at DEBUG level; :func:`set_api_log` turns that level and a separate rotating file on/off.

stderr keeps getting WARNING and above, as before. Files are 0600 in a 0700 folder
(:mod:`app.privacy`), also after a rotation.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

from app.privacy import FILE_MODE, app_dir, private_dir, private_file

LOG_FILE = "ibdesk.log"
API_LOG_FILE = "api.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: the logger ib_async writes every raw message to, at DEBUG (ib_async/client.py: ">>> ", "<<< ")
API_LOGGER = "ib_async.client"
#: the QSettings key of the Help menu's "API message log" toggle (per profile)
API_LOG_SETTING = "log/apiMessages"

gateway_log = logging.getLogger("ibdesk.gateway")

# handlers installed by this module, by role ("stderr", "file", "api"), to replace or remove them
_handlers: dict[str, logging.Handler] = {}


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A ``RotatingFileHandler`` whose files are created mode 0600 (and an existing one
    tightened to it), whatever the process umask, including each new file after a rollover."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            private_file(self.baseFilename, create=False)
        except OSError:
            pass
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def log_dir(profile: str = "default", env: dict | None = None) -> Path:
    """The log folder of ``profile``: ``$XDG_STATE_HOME/ibdesk/<profile>`` (default
    ``~/.local/state/ibdesk/<profile>``). Not created here."""
    return app_dir("state", env) / profile


def _install(role: str, handler: logging.Handler, logger: logging.Logger) -> None:
    old = _handlers.pop(role, None)
    if old is not None:
        for lg in (logging.getLogger(), logging.getLogger(API_LOGGER)):
            lg.removeHandler(old)
        old.close()
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    _handlers[role] = handler


def _file_handler(path: Path, level: int) -> PrivateRotatingFileHandler:
    h = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    h.setLevel(level)
    return h


def setup_logging(profile: str = "default", *, api_log: bool = False, env: dict | None = None,
                  stderr: TextIO | None = None) -> Path | None:
    """Send the process's logging to stderr (WARNING and above) and to the profile's rotating
    ``ibdesk.log`` (INFO and above); with ``api_log`` also every raw API message to ``api.log``.
    ib_async's "Error <code>" lines are logged at their IB code's level
    (``app.broker.errors.IBMessageLevels``: a routine cancel, 202, is INFO, not an ERROR).

    Returns the log folder, or None when it cannot be created or the file cannot be opened
    (then only stderr logs, and a warning there says why). Calling it again replaces the
    handlers it installed before (nothing else's). ``env`` replaces ``os.environ`` for the
    XDG variables; ``stderr`` the stream (default ``sys.stderr``).
    """
    root = logging.getLogger()
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    from app.broker.errors import IBMessageLevels
    wrapper = logging.getLogger("ib_async.wrapper")   # IB codes at their own level (202: INFO)
    if not any(isinstance(f, IBMessageLevels) for f in wrapper.filters):
        wrapper.addFilter(IBMessageLevels())
    err = logging.StreamHandler(stderr if stderr is not None else sys.stderr)
    err.setLevel(logging.WARNING)
    _install("stderr", err, root)
    folder = log_dir(profile, env)
    try:
        private_dir(folder.parent, env)
        private_dir(folder, env)
        _install("file", _file_handler(folder / LOG_FILE, logging.INFO), root)
    except OSError as e:
        logging.getLogger("ibdesk").warning("no log file: cannot write to %s (%s); logging to stderr only",
                                            folder, e)
        set_api_log(False)
        return None
    set_api_log(api_log, folder)
    logging.getLogger("ibdesk").info("ibdesk started (pid %d, profile %s); logs in %s%s", os.getpid(),
                                     profile, folder, ", API message log on" if api_log else "")
    return folder


def set_api_log(enabled: bool, folder: Path | None = None) -> bool:
    """Turn the API message log on (into ``folder/api.log``, rotating like ``ibdesk.log``) or
    off. Returns whether it is on afterwards: False when ``folder`` is None or the file cannot
    be opened (a warning is logged). Off costs nothing: ib_async only formats the messages when
    its logger is enabled for DEBUG."""
    api = logging.getLogger(API_LOGGER)
    if not enabled or folder is None:
        old = _handlers.pop("api", None)
        if old is not None:
            api.removeHandler(old)
            old.close()
            logging.getLogger("ibdesk").info("API message log off")
        api.setLevel(logging.NOTSET)
        return False
    try:
        handler = _file_handler(Path(folder) / API_LOG_FILE, logging.DEBUG)
    except OSError as e:
        logging.getLogger("ibdesk").warning("API message log not started: %s", e)
        return False
    _install("api", handler, api)
    api.setLevel(logging.DEBUG)
    logging.getLogger("ibdesk").info("API message log on: %s", Path(folder) / API_LOG_FILE)
    return True


def api_log_enabled() -> bool:
    """True while the API message log is on."""
    return "api" in _handlers


def log_gateway_message(req_id: int, code: int, message: str) -> None:
    """Log one gateway error/warning (``Session.errorEvent``'s arguments: request or order id,
    IB error code, text) on ``ibdesk.gateway`` at INFO, so every code reaches the log file
    (stderr shows WARNING and above only; the Log dock shows them all)."""
    gateway_log.info("gateway %s (id %s): %s", code, req_id, message)


def shutdown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` installed (tests; process exit)."""
    set_api_log(False)
    root = logging.getLogger()
    for role in ("stderr", "file"):
        h = _handlers.pop(role, None)
        if h is not None:
            root.removeHandler(h)
            h.close()
