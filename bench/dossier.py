"""Dossier benchmark: the builder against a bare qpdf merge of the same files.

200 generated source PDFs of 1 to 20 pages (about 2,000 pages) go into one
bundle with a cover, the index, stamps on every page and bookmarks, through
the builder's own assembly (dossier_builder/bundle.py) in a child process
whose peak memory is measured; in the same run, `qpdf --empty --pages ... --
out.pdf` merges the same files, as the floor. The two alternate, twice each.

Targets (from the issue): within 3x of the qpdf merge, and under 500 MB peak
RSS. PASS/FAIL is printed; the exit status is 0 whenever the measurements
were taken. Results also go to bench/results/dossier-<date>.json.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

RESULTS = Path(__file__).resolve().parent / "results"
SOURCES = 200
TARGET_RATIO = 3.0
TARGET_RSS_MIB = 500.0
BUILD = """
import json, resource, sys, time
from pathlib import Path
from dossier_builder.bundle import Options, Section, Source, assemble
paths = [Path(p) for p in json.loads(sys.argv[1])]
half = len(paths) // 2
started = time.perf_counter()
built = assemble(
    [
        Section("Part A", [Source(f"Report {i}", p) for i, p in enumerate(paths[:half])]),
        Section("Part B", [Source(f"Report {i}", p) for i, p in enumerate(paths[half:], half)]),
    ],
    Options("Benchmark dossier", marking="OFFICIAL-SENSITIVE", cover_lines=["Case", "Offender"]),
    Path(sys.argv[2]),
)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "pages": built.pages,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def sources(folder: Path, count: int) -> list[Path]:
    """count PDFs of 1 to 20 pages of text, each page a little different."""
    made = []
    for number in range(count):
        buffer = io.BytesIO()
        canvas = Canvas(buffer, invariant=1)
        for page in range(1 + number % 20):
            canvas.setFont("Helvetica", 11)
            for line in range(40):
                canvas.drawString(
                    72, 760 - line * 17, f"Report {number} page {page + 1} line {line}"
                )
            canvas.showPage()
        canvas.save()
        path = folder / f"source-{number:03}.pdf"
        path.write_bytes(buffer.getvalue())
        made.append(path)
    return made


def builder(paths: list[Path], out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, json.dumps([str(p) for p in paths]), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def qpdf(paths: list[Path], out: Path) -> dict[str, float]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(["qpdf", "--empty", "--pages", *map(str, paths), "--", str(out)], check=True)
    seconds = time.perf_counter() - started
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"seconds": seconds, "peak_mib": peak}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.dossier", description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=SOURCES)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ppud-bench-dossier-") as folder:
        home = Path(folder)
        paths = sources(home, args.sources)
        runs: dict[str, list[dict[str, float]]] = {"builder": [], "qpdf": []}
        # Alternated (builder, qpdf, qpdf, builder): neither gets the warmer cache throughout.
        runs["builder"].append(builder(paths, home / "b1.pdf"))
        runs["qpdf"].append(qpdf(paths, home / "q1.pdf"))
        runs["qpdf"].append(qpdf(paths, home / "q2.pdf"))
        runs["builder"].append(builder(paths, home / "b2.pdf"))
    best = {name: min(r["seconds"] for r in found) for name, found in runs.items()}
    peak = max(r["peak_mib"] for r in runs["builder"])
    pages = int(runs["builder"][0]["pages"])
    ratio = best["builder"] / best["qpdf"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"\nPPUD dossier benchmark: {args.sources} sources, {pages} pages in the bundle\n")
    print(f"builder: cover, index, stamps, bookmarks {best['builder']:6.2f} s  peak {peak:.1f} MiB")
    print(f"qpdf --empty --pages: merge only         {best['qpdf']:6.2f} s")
    print(
        f"ratio {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {verdict(ratio <= TARGET_RATIO)}; "
        f"peak {peak:.0f} MiB (target < {TARGET_RSS_MIB:.0f}) {verdict(peak < TARGET_RSS_MIB)}"
    )
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"dossier-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.write_text(
        json.dumps(
            {"pages": pages, "seconds": best, "ratio": round(ratio, 2), "peak_mib": round(peak, 1)},
            indent=2,
        )
        + "\n"
    )
    print(f"\nresults written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
