"""CSV export of a blotter table (orders or executions): what the trader sees.

:func:`export_table` writes the rows of a Qt table model in the model's row
order (pass the view's sort/filter proxy to export exactly what is shown),
every column, with a header row of the column titles. Cells are the raw values
(:data:`~app.viewmodels.table.VALUE_ROLE`), not the display text: numbers
without thousands separators or rounding (quantities in shares, prices in
instrument currency), times in ISO-8601 UTC (``2026-11-18T16:00:00.123000+00:00``),
missing values empty. :func:`write_csv_atomic` writes through the ``csv`` module
to a temporary file in the target folder, then renames it over the target
(``os.replace``), so an error never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt

from app.viewmodels.table import VALUE_ROLE


def csv_cell(value: Any) -> str:
    """One raw cell as CSV text: "" for missing (None, NaN, inf); whole floats without
    ".0"; other floats in Python's shortest round-trip digits, plain notation (0.00005,
    never 5e-05); datetimes ISO-8601 UTC (a naive datetime is taken as UTC); enums by value."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text  # 5e-05 -> 0.00005
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def write_csv_atomic(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``header`` and ``rows`` (cells through :func:`csv_cell`) to ``path`` (UTF-8,
    ``csv`` excel dialect) via a temporary file renamed over ``path``.

    Returns the number of data rows. Raises ``OSError`` (folder missing, no permission,
    disk full...) with the target left untouched and no temporary file left behind.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(list(header))
            n = 0
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
                n += 1
            f.flush()
            os.fsync(f.fileno())
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return n


def table_rows(model: QAbstractItemModel) -> tuple[list[str], list[list[Any]]]:
    """(column titles, raw cell values per row) of ``model`` in its row order."""
    cols = model.columnCount()
    header = [str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
              for c in range(cols)]
    rows = [[model.index(r, c).data(VALUE_ROLE) for c in range(cols)] for r in range(model.rowCount())]
    return header, rows


def export_table(model: QAbstractItemModel, path: str | os.PathLike) -> int:
    """Export every row of ``model`` (a RecordTableModel or a proxy over one) to CSV at
    ``path``; returns the number of rows written. Raises ``OSError`` like
    :func:`write_csv_atomic`."""
    header, rows = table_rows(model)
    return write_csv_atomic(path, header, rows)
