"""The ib_insync side of the conformance suite: a program run by the python of the private
ib_insync venv (:mod:`tests.conformance.insync_env`), driven by
:class:`tests.conformance.ib_insync_driver.IbInsyncDriver` over JSON lines.

It imports only the standard library, ib_insync and ``base.py``, ``iblike.py`` and
``iblike_scan.py`` beside it (stdlib-only): not ib_async (whose ``eventkit`` differs from ib_insync's), not ``app``, numpy
or pandas.

Protocol (UTF-8, one JSON object a line):

* first line out: ``{"ready": true, "version": "0.9.86", "pid": ...}``;
* in: ``{"id": n, "s": session id or null, "m": method, "a": [args], "k": {kwargs}}``;
  ``m`` = ``"open"`` (no session) makes an ``iblike.Session`` of ib_insync (``a``/``k``: its
  ``timeout``) and answers its id; any other ``m`` is a public method of that session
  (``"close"`` ends it);
* out: ``{"id": n, "r": result}`` or ``{"id": n, "e": kind, "text": ..., "code": ...}`` with
  ``kind`` = ``"ClientError"`` (``code`` = IB error code), ``"TimeoutError"``,
  ``"NotImplementedError"``, another builtin exception's name, or ``"Exception"`` (with
  ``tb``, the child's traceback);
* end of input: every session disconnects and the program exits.

Requests run concurrently (a thread each); every session has its own ``ib_insync.IB`` on its
own asyncio loop thread: the same :class:`iblike.Session` that ``IbAsyncDriver`` runs with
ib_async. Results are plain JSON values of what ib_insync *decoded* (see ``iblike.plain``);
the normalisation that needs the terminal's ``num`` happens in the parent
(``iblike_driver.IbLikeDriver``). Stray prints go to stderr (the parent's log file), never to the
protocol stream.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import sys
import threading
import traceback
from typing import Any

from base import ClientError                      # stdlib-only, beside this file
from iblike import Flavor, Session                # stdlib-only (+ base), beside this file

import ib_insync


def _decode_failure(record: logging.LogRecord) -> bool:
    """ib_insync.Decoder: every ERROR ("Error handling fields", "Error for <callback>");
    ib_insync.wrapper: only a tick value it could not parse ("malformed value"), not the
    gateway's error messages it logs as "Error <code>, reqId ..."."""
    return record.name == "ib_insync.Decoder" or "malformed value" in record.getMessage()


#: ib_insync as a Session sees it: its decoder logs failures with the exception (kept), and its
#: wrapper logs both tick values it cannot parse and IB's error messages (only the first kept)
FLAVOR = Flavor(ib_insync, decode_loggers=("ib_insync.Decoder", "ib_insync.wrapper"), decode_keep=_decode_failure,
                decode_with_exception=True)


class Server:
    """Sessions by id; answers one request (see the module docstring) per call of :meth:`handle`."""

    def __init__(self, out):
        self.out = out
        self.sessions: dict[int, Session] = {}
        self._next = 0
        self._lock = threading.Lock()

    def send(self, msg: dict) -> None:
        """Write one JSON line to the protocol stream."""
        line = json.dumps(msg, default=repr)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def handle(self, req: dict) -> None:
        """Answer one request: its result, or the error it raised (see the module docstring)."""
        rid = req.get("id")
        try:
            self.send({"id": rid, "r": self.dispatch(req.get("s"), req["m"], req.get("a") or [], req.get("k") or {})})
        except ClientError as e:
            self.send({"id": rid, "e": "ClientError", "code": e.code, "text": e.text})
        except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as e:
            self.send({"id": rid, "e": "TimeoutError", "text": str(e) or type(e).__name__})
        except Exception as e:
            self.send({"id": rid, "e": type(e).__name__, "text": str(e), "tb": traceback.format_exc()[-3000:]})

    def dispatch(self, sid: int | None, method: str, a: list, kw: dict) -> Any:
        """Run ``method`` of session ``sid`` (``open``: a new session); NotImplementedError for an unknown method."""
        if method == "open":
            with self._lock:
                self._next += 1
                sid = self._next
            self.sessions[sid] = Session(FLAVOR, str(sid), *a, **kw)
            return sid
        s = self.sessions.get(sid)
        if s is None:
            raise RuntimeError(f"ib_insync child: no session {sid}")
        if method == "close":
            del self.sessions[sid]
            return s.close(*a)
        fn = getattr(s, method, None) if not method.startswith("_") else None
        if fn is None or not callable(fn):
            raise NotImplementedError(f"ib_insync driver has no method {method!r}")
        return fn(*a, **kw)

    def shutdown(self) -> None:
        """Close every session (end of input)."""
        for sid in list(self.sessions):
            try:
                self.sessions.pop(sid).close()
            except Exception:
                logging.getLogger("insync_child").exception("closing session %s", sid)


def main() -> None:
    """Serve requests from stdin until it ends (see the module docstring)."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                   # prints of anyone else go to stderr, not into the protocol
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    server = Server(out)
    server.send({"ready": True, "version": ib_insync.__version__, "pid": os.getpid()})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="req")
    for line in sys.stdin:
        if line.strip():
            pool.submit(server.handle, json.loads(line))
    server.shutdown()
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
