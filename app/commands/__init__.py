"""The command layer: order intents (``PlaceOrder``, ``PlaceBracket``, ``ModifyOrder``,
``CancelOrder``, ``CancelAll``, ``GlobalCancel``, ``Flatten``, ``Reverse``,
``KillSwitch``) checked against IB's rules and the pre-trade ``RiskLimits`` and
executed by ``OrderCommands`` against the session."""

from app.commands.intents import (
    CancelAll,
    CancelOrder,
    Command,
    CommandResult,
    Flatten,
    GlobalCancel,
    KillSwitch,
    ModifyOrder,
    PlaceBracket,
    PlaceOrder,
    Reverse,
    describe_command,
)
from app.commands.orders import OrderCommands
from app.commands.risk import Limit, RiskLimits
from app.commands.validation import CommandRejected

__all__ = ["PlaceOrder", "PlaceBracket", "ModifyOrder", "CancelOrder", "CancelAll", "GlobalCancel",
           "Flatten", "Reverse", "KillSwitch", "Command", "OrderCommands", "CommandResult",
           "CommandRejected", "describe_command", "Limit", "RiskLimits"]
