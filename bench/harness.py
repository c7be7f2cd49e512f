"""Shared benchmark plumbing: the machine, medians of timed runs, and result rows.

Every figure is printed beside a baseline measured in the same run; the ratio is the verdict,
since absolute times on a shared 2-core machine move from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("flask", "flask-socketio", "python-socketio", "sqlalchemy", "pandas", "gevent")


@dataclass
class Figure:
    """One line of the benchmark table."""

    workload: str
    measure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str
    met: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """value / baseline: read it against the target (a time wants it low, a rate high)."""
        if not self.value or not self.baseline_value:
            return float("nan")
        return self.value / self.baseline_value


def machine() -> dict[str, Any]:
    """Cores, CPU, memory and versions, printed with every run."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem_kb = int(meminfo.read_text().split()[1])
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def median_seconds(run: Callable[[], object], *, runs: int = 3, warmup: int = 1) -> float:
    """Median wall time of `runs` calls after `warmup` discarded ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mib(run: Callable[[], object]) -> float:
    """Peak Python heap allocated while `run` executes (tracemalloc), in MiB."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def peak_rss_mib(run: Callable[[], object]) -> float:
    """Peak resident memory of the whole process while `run` executes, in MiB: unlike
    tracemalloc it counts C buffers too (a driver's result set, SQLite's page cache) and the
    interpreter itself. Linux only: the high-water mark is reset through /proc/self/clear_refs."""
    Path("/proc/self/clear_refs").write_text("5")
    run()
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def save(name: str, rows: list[Figure], info: dict[str, Any] | None = None) -> Path:
    """Write rows as JSON under bench/results/ and print them as a table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "machine": machine(),
        "info": info or {},
        "load": {"loadavg": os.getloadavg(), "nproc": os.cpu_count()},
        "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    print_table(rows)
    return path


def scaled_main(
    name: str,
    doc: str | None,
    scales: Iterable[str],
    run: Callable[[str | None, str], list[Figure]],
) -> None:
    """The command line of a benchmark run at a scale on a fresh SQLite file or the database
    --url names; it saves as `<name>_<dialect>`, with `_full` at full scale, so that a quick
    run keeps the full figures."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--scale", choices=tuple(scales), default="quick")
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    print(machine())
    dialect = "postgresql" if args.url and args.url.startswith("postgresql") else "sqlite"
    suffix = "_full" if args.scale == "full" else ""
    save(f"{name}_{dialect}{suffix}", run(args.url, args.scale), {"scale": args.scale})


def print_table(rows: list[Figure]) -> None:
    for r in rows:
        verdict = "" if r.met is None else ("met" if r.met else "MISSED")
        print(
            f"{r.workload:<55} {r.measure:<22} {r.value:>12.4g} {r.unit:<8} "
            f"| {r.baseline:<40} {r.baseline_value:>12.4g} | ratio {r.ratio:>8.3g} "
            f"| {r.target} {verdict}"
        )
