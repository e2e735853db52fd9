"""Database access: the engine, sessions (one transaction per request) and migrations."""

from tariffconnect.db.base import Base
from tariffconnect.db.database import Database

__all__ = ["Base", "Database"]
