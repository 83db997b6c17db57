"""Connection → Connect to…: host, port and client id of a TWS / IB Gateway.

The values are checked as typed (a clear reason under the fields, OK disabled
until they are valid) and remembered per profile in its QSettings
(``connection/host``, ``connection/port``, ``connection/client_id``). IB's
default ports are one click away (IB API docs, "Initial Setup"): TWS live 7496,
TWS paper 7497, IB Gateway live 4001, IB Gateway paper 4002.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout,
    QWidget,
)

from app.ui import theme

#: (label, port) of IB's default API ports
PORT_PRESETS: tuple[tuple[str, int], ...] = (
    ("TWS paper (7497)", 7497), ("TWS live (7496)", 7496),
    ("IB Gateway paper (4002)", 4002), ("IB Gateway live (4001)", 4001),
)
_KEYS = ("connection/host", "connection/port", "connection/client_id")


@dataclass(frozen=True)
class Endpoint:
    """Where to connect: ``host`` name or address, TCP ``port`` (1..65535), API ``client_id``
    (0..2^31-1; unique among the API programs connected to that TWS)."""

    host: str
    port: int
    client_id: int


def host_problem(text: str) -> str | None:
    """Why ``text`` is not a usable host name or address, or None."""
    t = text.strip()
    if not t:
        return "Enter the host of TWS / IB Gateway (127.0.0.1 when it runs on this computer)"
    if t.count(":") == 1:
        return f"'{t}': give the port in the Port field, not after the host"
    if any(c.isspace() for c in t) or "/" in t:
        return f"'{t}' is not a host name or IP address"
    return None


def remembered(settings: QSettings, default: Endpoint) -> Endpoint:
    """The endpoint last used in this profile, or ``default`` for values never saved
    or unreadable."""
    def num(key: str, fallback: int, lo: int, hi: int) -> int:
        try:
            v = int(settings.value(key, fallback))
        except (TypeError, ValueError):
            return fallback
        return v if lo <= v <= hi else fallback
    host = str(settings.value(_KEYS[0], default.host) or default.host)
    if host_problem(host):
        host = default.host
    return Endpoint(host, num(_KEYS[1], default.port, 1, 65535),
                    num(_KEYS[2], default.client_id, 0, 2**31 - 1))


def remember(settings: QSettings, ep: Endpoint) -> None:
    """Save ``ep`` as this profile's last endpoint."""
    for key, value in zip(_KEYS, (ep.host, ep.port, ep.client_id)):
        settings.setValue(key, value)


class ConnectDialog(QDialog):
    """Asks for host, port and client id; ``endpoint()`` is the accepted value."""

    def __init__(self, initial: Endpoint, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Connect to TWS / IB Gateway")
        self.host = QLineEdit(initial.host)
        self.host.setObjectName("host")
        self.port = QSpinBox()
        self.port.setObjectName("port")
        self.port.setRange(1, 65535)
        self.port.setValue(initial.port)
        self.preset = QComboBox()
        self.preset.addItem("IB default ports…", 0)
        for label, port in PORT_PRESETS:
            self.preset.addItem(label, port)
        self.preset.activated.connect(self._on_preset)
        self.client_id = QSpinBox()
        self.client_id.setObjectName("client_id")
        self.client_id.setRange(0, 2**31 - 1)
        self.client_id.setValue(initial.client_id)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        theme.style(self.problem, "color: $error_text;")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Host", self.host)
        form.addRow("Port", self.port)
        form.addRow("", self.preset)
        form.addRow("Client id", self.client_id)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        note = QLabel("Enable “ActiveX and Socket Clients” in TWS: File → Global Configuration → "
                      "API → Settings. The client id must not be used by another API program.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.host.textChanged.connect(self._check)
        self._check()

    def _on_preset(self, index: int) -> None:
        port = int(self.preset.itemData(index) or 0)
        if port:
            self.port.setValue(port)

    def _check(self) -> None:
        why = host_problem(self.host.text())
        self.problem.setText(why or "")
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(why is None)

    def accept(self) -> None:
        if host_problem(self.host.text()) is None:
            super().accept()

    def endpoint(self) -> Endpoint:
        """The values in the fields (host stripped)."""
        return Endpoint(self.host.text().strip(), self.port.value(), self.client_id.value())


__all__ = ["ConnectDialog", "Endpoint", "PORT_PRESETS", "host_problem", "remember", "remembered"]
