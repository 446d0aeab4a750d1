"""Real servers for the scale-out tests: a ``redis-server`` and a PostgreSQL cluster on 127.0.0.1.

Both come from the Debian packages ``scripts/setup.sh dev`` installs (redis-server, postgresql); each
is started once per test session on a free port in a temporary folder and stopped afterwards. Where
the binaries are missing the tests that need them are skipped, saying which package to install.
PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` system user.

tests/conftest.py registers this module as a plugin: ``redis_url`` and ``postgres_url`` (a fresh,
empty database per test) are available to every test module.
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
from pathlib import Path
from typing import Callable, Iterator

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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A redis-server on a free port, no persistence: its base URL (``redis://127.0.0.1:PORT``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; scripts/setup.sh dev)")
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


_databases = iter(range(16))


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A Redis database of its own for this test (one of the server's 16)."""
    return f"{redis_server}/{next(_databases) % 16}"


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster (initdb, trust auth on 127.0.0.1) on a free port: its base URL."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql; "
                    "scripts/setup.sh dev)")
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
    try:
        wait_until(lambda: _ready(bindir, port), "PostgreSQL")
        yield f"postgresql://postgres@{HOST}:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _ready(bindir: Path, port: int) -> bool:
    result = subprocess.run([str(bindir / "pg_isready"), "-h", HOST, "-p", str(port), "-U", "postgres"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return result.returncode == 0


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database for this test: its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"
