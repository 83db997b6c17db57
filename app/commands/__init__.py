"""The command layer: order intents (``PlaceOrder``, ``ModifyOrder``,
``CancelOrder``) checked and executed by ``OrderCommands`` against the session."""

from app.commands.orders import (
    CancelOrder,
    CommandResult,
    ModifyOrder,
    OrderCommands,
    PlaceOrder,
)
from app.commands.validation import CommandRejected

__all__ = ["PlaceOrder", "ModifyOrder", "CancelOrder", "OrderCommands", "CommandResult",
           "CommandRejected"]
