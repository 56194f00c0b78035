"""A throwaway PostgreSQL server for the test session (Debian's packages, run as `postgres`)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.network import free_port


def find_bindir() -> Path | None:
    candidates = []
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def running_server(bindir: Path, *, durable: bool = False) -> Iterator[str]:
    """Start a server on a free loopback port; yields an asyncpg URL of its admin database."""
    root = Path(tempfile.mkdtemp(prefix="newsroom-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    port = free_port()
    subprocess.run(
        _as_postgres_user(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    settings = {"listen_addresses": "127.0.0.1", "max_connections": "200"}
    if not durable:  # a throwaway server for tests: durability buys nothing and costs seconds
        settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    options = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
    server = subprocess.Popen(
        _as_postgres_user(
            [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root), *options]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                err = server.stderr.read().decode() if server.stderr else ""
                raise RuntimeError(f"PostgreSQL did not start: {err[-2000:]}")
            time.sleep(0.1)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(root, ignore_errors=True)
