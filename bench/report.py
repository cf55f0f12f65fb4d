"""Run every benchmark and write their tables into docs/benchmarks.md, in place.

Each section of docs/benchmarks.md holds the output of one benchmark between the markers
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; the text around them stays as written.

    .venv/bin/python bench/report.py [NAME ...]

Names: page_weight throughput login_timing caseload outbox reminders chat reports.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BENCHMARKS = {
    "page_weight": ["bench/page_weight.py"],
    "throughput": ["bench/throughput.py"],
    "login_timing": ["bench/login_timing.py", "--rounds", "1000"],
    "caseload": ["bench/caseload.py"],
    "outbox": ["bench/outbox.py"],
    "reminders": ["bench/reminders.py", "--sqlite"],
    "chat": ["bench/chat.py"],
    "reports": ["bench/reports.py", "--rounds", "20", "--scales", "10000", "100000"],
}


def main(names: list[str]) -> None:
    text = DOC.read_text()
    for name in names or list(BENCHMARKS):
        run = subprocess.run(
            [str(ROOT / ".venv/bin/python"), *BENCHMARKS[name]], cwd=ROOT, capture_output=True, text=True
        )
        if run.returncode:
            sys.stderr.write(run.stderr)
            raise SystemExit(f"{name} failed (exit {run.returncode}): docs/benchmarks.md left as it was")
        output = run.stdout.strip()
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(\n<!-- /bench:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/benchmarks.md has no markers for {name}")
        text = pattern.sub(lambda m, out=output: m.group(1) + out + m.group(2), text)
        print(f"{name}: done")
    text = re.sub(r"on\s+\d{4}-\d{2}-\d{2}\. Absolute", f"on {date.today().isoformat()}. Absolute", text)
    DOC.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
