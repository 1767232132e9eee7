"""The company's procedures, as an extension of the engine.

One subpackage per procedure (tour, complaint, customer, contract, survey), each with its records and
service-task operators (`records.py`), its record labels and processes (`__init__.py`) and its demo seed
(`demo.py`). Their tables live on their own metadata with their own Alembic branch
(`procedures/migrations`). The web app factory and the `approvals` command hand `COMPANY`
(procedures/company.py) to the engine; it is imported on first use, so `approvals --help` stays light.
"""
from __future__ import annotations

from typing import Any

__all__ = ["COMPANY", "PROCEDURES", "PROCESSES", "USERS_FILE"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import company
        return getattr(company, name)
    raise AttributeError(f"module 'procedures' has no attribute {name!r}")
