"""Helpers for SQL tests: poll with a deadline instead of sleeping."""
from tests.polling import wait_until

__all__ = ["wait_until"]
