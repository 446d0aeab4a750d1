"""Real servers for the scale-out tests: a ``redis-server`` and a PostgreSQL cluster on 127.0.0.1.

Both come from the Debian packages ``scripts/setup.sh dev`` installs (redis-server, postgresql); each
is started once per test session on a free port in a temporary folder and stopped afterwards. Where
the binaries are missing the tests that need them are skipped, saying which package to install.
PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` system user.

tests/conftest.py registers this module as a plugin: ``redis_url`` and ``postgres_url`` (a fresh,
empty database per test) are available to every test module. ``running_redis``/``running_postgres``
are the same servers as context managers (bench/scaleout.py uses them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, Iterator

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {seconds:g} s")
        time.sleep(0.05)


def accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class Missing(Exception):
    """A server's binaries are not installed; the message says which Debian package brings them."""


@contextmanager
def running_redis() -> Iterator[str]:
    """A redis-server on a free port, no persistence, until the block ends: its base URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Missing("redis-server is not installed (Debian package redis-server; scripts/setup.sh dev)")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="briefgen-redis-")
    process = subprocess.Popen([binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: accepts(port), "redis-server")
        yield f"redis://{HOST}:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[str]:
    """A PostgreSQL cluster (initdb, trust auth on 127.0.0.1, fsync off) on a free port, until the
    block ends: its base URL (``postgresql://postgres@127.0.0.1:PORT``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise Missing("PostgreSQL server binaries are not installed (Debian package postgresql; "
                      "scripts/setup.sh dev)")
    bindir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="briefgen-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse root
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([*as_user, str(bindir / "postgres"), "-D", str(data), "-h", HOST, "-p", str(port),
                               "-k", str(folder), "-c", "fsync=off", "-c", "max_connections=200"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = [str(bindir / "pg_isready"), "-h", HOST, "-p", str(port), "-U", "postgres"]
    try:
        wait_until(lambda: subprocess.run(ready, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0,
                   "PostgreSQL")
        yield f"postgresql://postgres@{HOST}:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str) -> str:
    """A new, empty database on the PostgreSQL ``server``: its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def _started(servers: Callable[[], ContextManager[str]]) -> Iterator[str]:
    try:
        with servers() as url:
            yield url
    except Missing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    yield from _started(running_redis)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    yield from _started(running_postgres)


_databases = iter(range(10**9))


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A Redis database of its own for this test (one of the server's 16, in turn)."""
    return f"{redis_server}/{next(_databases) % 16}"


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database for this test: its URL."""
    return new_database(postgres_server)
