"""Scaffolding shared by the benchmarks: logging, the machine's description, and how disturbed a timing was."""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def log(msg: str) -> None:
    print(msg, flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


class OtherLoad:
    """CPU used on the machine by processes other than this one (and the bench's own database server)
    while requests are timed, as a share of the whole machine: how much the figures were disturbed."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _machine_busy(self) -> float:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / self.tick  # user nice system irq softirq steal

    def _server(self) -> float:
        if not self.server_pid:
            return 0.0
        total = 0.0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(d), int(fields[1])
            if pid == self.server_pid or ppid == self.server_pid:
                total += int(fields[11]) + int(fields[12])  # utime stime
                if pid == self.server_pid:
                    total += int(fields[13]) + int(fields[14])  # reaped backends
        return total / self.tick

    def _sample(self) -> tuple[float, float, float, float]:
        own = os.times()
        return time.monotonic(), self._machine_busy(), own.user + own.system, self._server()

    def start(self) -> None:
        try:
            self.t0 = self._sample()
        except (OSError, ValueError, IndexError):
            self.t0 = None

    def stop(self) -> float | None:
        """Share of the machine (0..1) used by other processes since ``start``; None if unknown."""
        if self.t0 is None:
            return None
        try:
            t1 = self._sample()
        except (OSError, ValueError, IndexError):
            return None
        wall = t1[0] - self.t0[0]
        other = (t1[1] - self.t0[1]) - (t1[2] - self.t0[2]) - (t1[3] - self.t0[3])
        return max(0.0, other / (wall * (os.cpu_count() or 1))) if wall > 0 else None
