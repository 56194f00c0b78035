"""Bot processes for the benchmarks: spawn against a loopback fake, read RSS and CPU, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without platform settings, plus `extra`; never a `.env`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "DATABASE_", "COMMENT_"))
    }
    env.update(CONTENT_DIR=str(ROOT / "content"), PYTHONPATH=str(ROOT), LOG_LEVEL="INFO")
    env.update(extra)
    return env


class BotProcess:
    """A child process whose stderr goes to a log file (shown if it fails)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, started: float) -> None:
        self.process = process
        self.log = log
        self.started = started

    @classmethod
    async def spawn(
        cls, args: Sequence[str], env: dict[str, str], workdir: Path, name: str
    ) -> BotProcess:
        log = workdir / f"{name}.log"
        with log.open("ab") as sink:
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                cwd=workdir,  # no .env from the working tree
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        return cls(process, log, started)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"process {self.pid} has no VmRSS (exited?)")

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.returncode is not None:
            raise RuntimeError(f"bot exited with {self.process.returncode}:\n{self.tail()}")

    async def stop(self, within: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit status."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0
