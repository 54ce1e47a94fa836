"""SQLite for the runtime: the Database behind `db.sql.sqlite` entries.

    from wippy.sql import Database, Settings
    from wippy.sql import builder

See database.py (routing, lifecycle), writer.py (group commit), values.py
(parameter and row conversion), builder/ (the query builder).
"""
from .connection import MEMORY, Settings
from .database import ISOLATION_LEVELS, Database
from .transaction import Statement, Transaction

__all__ = ["Database", "ISOLATION_LEVELS", "MEMORY", "Settings", "Statement", "Transaction"]
