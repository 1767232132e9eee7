"""The databases a load test runs on: a fresh SQLite file, or a private PostgreSQL server started the way
the test suite starts one (tests/pg.py), which the chaos can restart."""
from __future__ import annotations

from pathlib import Path

from tests.pg import PostgresServer


class SqliteDatabase:
    name = "SQLite"
    restartable = False
    available = True

    def __init__(self):
        self.path: Path | None = None

    def start(self, folder: Path) -> str:
        self.path = folder / "approvals.sqlite3"
        return f"sqlite:///{self.path}"

    def restart(self) -> None:
        raise NotImplementedError("SQLite is a file, not a server: there is nothing to restart")

    def stop(self) -> None:
        pass


class PostgresDatabase:
    name = "PostgreSQL"
    restartable = True

    def __init__(self):
        self.server = PostgresServer()

    @property
    def available(self) -> bool:
        return self.server.available

    def start(self, folder: Path) -> str:
        return self.server.start()

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is ended, the server shuts down cleanly and starts again with
        the options it was started with; returns once it accepts connections."""
        folder = self.server.dir
        self.server._run(self.server.pg_ctl, "-D", str(folder / "data"), "-l", str(folder / "log"),
                         "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        self.server.stop()


def database(name: str):
    return {"sqlite": SqliteDatabase, "postgresql": PostgresDatabase}[name]()
