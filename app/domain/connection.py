"""Connection state of the API session."""

from enum import StrEnum


class ConnectionState(StrEnum):
    """State of the link to TWS / IB Gateway, as shown in the status bar."""

    DISCONNECTED = "Disconnected"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    LOST = "Connection lost"
    FAILED = "Connect failed"
    #: waiting for the next automatic reconnect attempt (``app.broker.supervisor``)
    RECONNECTING = "Reconnecting"
