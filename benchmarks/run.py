"""Run every benchmark and write docs/benchmarks.md (filled in by the benchmark modules)."""

from __future__ import annotations

if __name__ == "__main__":
    raise SystemExit("benchmarks: not written yet")
