"""Queues: the Driver contract, the memory driver, messages and the consumer runtime."""
from .consumer import ACKED, Consumer, Invoke, Outcome, lua_invoker, outcome_of
from .driver import Driver, Subscription
from .errors import QueueFull
from .memory import MemoryDriver, MemoryQueueOptions
from .message import ACK, NACK, Delivery, Message, new_message
from .queue import Queue
from .retry import DeadLetter, RetryPolicy

__all__ = [
    "ACK", "ACKED", "NACK", "Consumer", "DeadLetter", "Delivery", "Driver", "Invoke",
    "MemoryDriver", "MemoryQueueOptions", "Message", "Outcome", "Queue", "QueueFull",
    "RetryPolicy", "Subscription", "lua_invoker", "new_message", "outcome_of",
]
