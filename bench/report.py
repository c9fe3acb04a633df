"""Markdown tables from the JSON results, for docs/benchmarks.md.

    python -m bench.report bench/results/bench_sqlite_100000.json [bench/results/bench_postgresql_100000.json]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run import table


def markdown(paths: list[str]) -> str:
    runs = [json.loads(Path(path).read_text()) for path in paths]
    tables = [{row[0]: row[1:] for row in table(run)} for run in runs]
    names = list(dict.fromkeys(name for t in tables for name in t))
    head = "| measure | goal | " + " | ".join(f"{r['database']} {r['scale']:,}" for r in runs) + " |"
    lines = [head, "|---|---|" + "---|" * len(runs)]
    for name in names:
        goal = next((t[name][1] for t in tables if name in t), "")
        cells = [(f"{t[name][0]} ({t[name][2]})" if t[name][2] else t[name][0]) if name in t else "–"
                 for t in tables]
        lines.append(f"| {name.strip()} | {goal} | " + " | ".join(cells) + " |")
    lines.append("| whole run, minutes | < 15 | " + " | ".join(f"{r['seconds'] / 60:.1f}" for r in runs) + " |")
    lines.append("| load average at start / end (2 cores) | | " + " | ".join(
        f"{r['machine'].get('load_average', [0])[0]:.1f} / {r.get('load_average_at_end', [0])[0]:.1f}"
        for r in runs) + " |")
    lines.append("| PostgreSQL round trip, SELECT 1, ms, start / end | | " + " | ".join(
        f"{r['round_trip_ms_at_start']:.3f} / {r['round_trip_ms_at_end']:.3f}" if r.get("round_trip_ms_at_start")
        else "–" for r in runs) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(sys.argv[1:]))
