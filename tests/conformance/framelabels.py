"""Name every field of a TWS message with the official client's own decoder.

:func:`label_fields` runs ibapi's ``Decoder`` (ibapi-stable, ``decoder.py`` +
``orderdecoder.py``) at a given server version over one message and records, for each
field it reads, the attribute the decoder stores it in (``order.faGroup``,
``contract.minTick``...; the text left of ``= decode(...)`` on the reading line, else the
reading function's name). That gives a field-by-field view of a frame from any source
(the simulated gateway, a recording of a real TWS) in the decoder's vocabulary, so two
frames of one message type can be compared by name (:func:`compare_frames`).

Used by ``tests/conformance/test_recorded.py``; nothing here talks to a socket.
"""

from __future__ import annotations

import linecache
import re
import sys
from dataclasses import dataclass

from ibapi.decoder import Decoder
from ibapi.wrapper import EWrapper

_ASSIGN = re.compile(r"^\s*([\w.\[\]]+)\s*=\s*decode\(")
_COMMENT = re.compile(r"#\s*(.+)$")

UNSET_DOUBLE_TEXT = "1.7976931348623157E308"
UNSET_INTEGER_TEXT = "2147483647"


def value_form(value: str) -> str:
    """The form of one field's text: ``''`` (empty), ``'UNSET_DOUBLE'``
    (1.7976931348623157E308), ``'UNSET_INTEGER'`` (2147483647) or ``'value'``."""
    if value == "":
        return "''"
    if value == UNSET_DOUBLE_TEXT:
        return "UNSET_DOUBLE"
    if value == UNSET_INTEGER_TEXT:
        return "UNSET_INTEGER"
    return "value"


@dataclass(frozen=True)
class Field:
    """One field of a message: position (0 = msg id), decoder label, text."""

    index: int
    label: str
    value: str

    @property
    def form(self) -> str:
        return value_form(self.value)


class _Tracing:
    """Iterator over the fields that remembers which decoder line read each one."""

    def __init__(self, fields: list[bytes]):
        self.fields = list(fields)
        self.pos = 0
        self.labels: list[str] = []
        self.seen: dict[str, int] = {}

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self.pos >= len(self.fields):
            raise StopIteration
        value = self.fields[self.pos]
        self.pos += 1
        self.labels.append(self._caller_label())
        return value

    def _caller_label(self) -> str:
        # walk up from __next__ past ibapi.utils (decode and its helpers) to the reading line
        f = sys._getframe(2)   # 0: _caller_label, 1: __next__
        while f is not None and f.f_code.co_filename.endswith(("utils.py", "common.py")):
            f = f.f_back
        line = linecache.getline(f.f_code.co_filename, f.f_lineno)
        m = _ASSIGN.match(line)
        if m:
            label = m.group(1).replace("self.", "")
            for prefix in ("contract.contract.", "contract.", "order.", "orderState.", "execution."):
                if label.startswith(prefix):
                    label = label[len(prefix):]
                    break
        else:
            c = _COMMENT.search(line)
            label = f"{f.f_code.co_name}:{c.group(1).strip() if c else 'skipped'}"
        n = self.seen.get(label, 0)
        self.seen[label] = n + 1
        return label if n == 0 else f"{label}#{n + 1}"


class DecodeFailure(Exception):
    """ibapi could not decode the message (too few fields or an unparsable value)."""


def label_fields(fields: list[str], server_version: int) -> list[Field]:
    """Label every field of one message (its text fields, msg id first) as ibapi's decoder
    reads it at ``server_version``. Fields the decoder did not read are labelled
    ``'<extra>'``. Raises :class:`DecodeFailure` when ibapi cannot decode the message,
    KeyError for a message id ibapi has no decoder for."""
    msg_id = int(fields[0])
    raw = [f.encode() for f in fields[1:]]
    dec = Decoder(EWrapper(), server_version)
    handle = dec.msgId2handleInfo[msg_id]
    it = _Tracing(raw)
    if handle.processMeth is not None:
        try:
            handle.processMeth(dec, it)
        except Exception as e:  # ibapi raises BadMessage, ValueError, ...
            raise DecodeFailure(f"msg {msg_id} at v{server_version}: {type(e).__name__}: {e}") from e
        labels = it.labels
    else:   # simple messages decoded by the wrapper method's signature
        names = [p for p in handle.wrapperParams if p != "self"]
        labels = ["version", *names][: len(raw)]
        it.pos = len(labels)
    out = [Field(0, "msgId", fields[0])]
    for i, text in enumerate(fields[1:], start=1):
        label = labels[i - 1] if i - 1 < len(labels) else "<extra>"
        out.append(Field(i, label, text))
    return out


def compare_frames(ours: list[str], reference: list[str], server_version: int) -> list[str]:
    """Differences between two frames of one message type, by decoder label: field count,
    labels present in one only, and fields that are unset on both sides in different forms
    (``''`` against 1.7976931348623157E308 ...). Set values may differ (other orders,
    accounts, times; a value where the reference has none is content, not form). Returns
    human-readable lines; empty when the frames agree."""
    a = label_fields(ours, server_version)
    b = label_fields(reference, server_version)
    problems = []
    if len(a) != len(b):
        problems.append(f"field count {len(a)} != reference {len(b)}")
    la = {f.label: f for f in a}
    lb = {f.label: f for f in b}
    for label in lb.keys() - la.keys():
        problems.append(f"{label}: missing (reference sends {lb[label].value!r})")
    for label in la.keys() - lb.keys():
        problems.append(f"{label}: extra field {la[label].value!r}")
    for label, rf in lb.items():
        f = la.get(label)
        if f is None or "value" in (rf.form, f.form) or f.form == rf.form:
            continue
        problems.append(f"{label}: {f.value!r} ({f.form}) where the reference sends "
                        f"{rf.value!r} ({rf.form})")
    return problems
