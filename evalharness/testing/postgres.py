"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp folder, loopback only, a free port.

`EVALHARNESS_TEST_PG` may name a server to use instead (a URL to a database the tests may create schemas in).
Each test store is a schema of its own in that database, dropped afterwards. Without PostgreSQL installed the
PostgreSQL half of the store tests is skipped locally, saying how to run it; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

HOW = (
    "PostgreSQL tests need Debian's postgresql package (`apt-get install postgresql`): the tests then start "
    "a throwaway cluster themselves; or set EVALHARNESS_TEST_PG=postgresql://user@host:port/db"
)


def _bindir() -> Path | None:
    """Where initdb and pg_ctl are: `EVALHARNESS_PG_BINDIR` if set, else PATH, else Debian's folders."""
    given = os.environ.get("EVALHARNESS_PG_BINDIR")
    if given is not None:
        return Path(given) if (Path(given) / "initdb").exists() else None
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        self.url: str | None = None
        self.folder: Path | None = None
        self.bindir: Path | None = None
        self.as_postgres = os.geteuid() == 0 if hasattr(os, "geteuid") else False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]  # type: ignore[operator]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def start(self, *, durable: bool = False) -> str:
        """The URL of a database for the tests; raises RuntimeError saying why there is none.

        `durable`: keep PostgreSQL's default fsync and commit settings (benchmarks); tests turn them off."""
        given = os.environ.get("EVALHARNESS_TEST_PG")
        if given:
            self.url = given
            return given
        self.bindir = _bindir()
        if self.bindir is None:
            raise RuntimeError("no PostgreSQL server programs (initdb) on this machine. " + HOW)
        self.folder = Path(tempfile.mkdtemp(prefix="evalharness-pg-"))
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        done = self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
        port = _free_port()
        # A throwaway cluster: no fsync (nothing here must survive a power cut), loopback only.
        options = (
            f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        done = self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        if done.returncode != 0:
            log = (self.folder / "log").read_text(errors="replace")[-800:] if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()[-300:]} {log}")
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return self.url

    def stop(self) -> None:
        if self.folder is None or self.bindir is None:
            return
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def schema_url(base: str, schema: str) -> str:
    """The URL of one schema inside the base database (libpq's `options` sets the search_path)."""
    joiner = "&" if "?" in base else "?"
    return base + joiner + "options=" + quote(f"-csearch_path={schema}")


def new_schema(base: str) -> tuple[str, str]:
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    return schema, schema_url(base, schema)


def drop_schema(base: str, schema: str) -> None:
    import psycopg

    from evalharness.store.engines import IDLE

    IDLE.close(schema_url(base, schema))
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(base, autocommit=True) as con:
                con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            return
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
