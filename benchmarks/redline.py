"""Print the redline engine's figures: correctness, noise, speed and memory on the shared pairs.

    python benchmarks/redline.py [--pairs dev large] [--repeat 3] [--shared ../shared]

For every pair: the JSON ops are checked with ``redline_oracle_text.py`` (exact spelling of OLD
and NEW, noise ratio) and the tracked-changes .docx written by ``clm diff --format docx`` with
``redline_oracle.py`` (accept-all == NEW, reject-all == OLD, formatting kept). Large pairs are
also timed: the JSON diff in-process (parse + diff + serialise, best of --repeat) and the whole
``clm diff --format docx`` process (median of --repeat), with its peak RSS. The peers' figures
come from ``data/redline/peer_results.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clm import documents
from clm.versions import diff as diff_engine
from clm.versions import render


def run_cli(args: list[str]) -> tuple[int, float, float | None]:
    """Run a command; return (exit status, wall seconds, peak RSS in MiB of that command).

    The RSS comes from GNU time (%M); measured from here it would include this process's
    own memory, copied at fork time.
    """
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryDirectory() as td:
        rss_file = Path(td) / "rss"
        if gnu_time.exists():
            args = [str(gnu_time), "-f", "%M", "-o", str(rss_file), *args]
        t = time.perf_counter()
        proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - t
        if proc.returncode:
            print(f"  command failed: {proc.stderr.decode(errors='replace').strip()[-300:]}", file=sys.stderr)
        rss = None
        if rss_file.exists():
            digits = [x for x in rss_file.read_text().split() if x.isdigit()]
            rss = int(digits[-1]) / 1024 if digits else None
    return proc.returncode, wall, rss


def json_diff_seconds(old: str, new: str, repeat: int) -> float:
    """Return the best in-process time of parse + diff + JSON for a text pair."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        red = diff_engine.diff(documents.from_text(old), documents.from_text(new))
        json.dumps(render.to_json(red), ensure_ascii=False)
        best = min(best, time.perf_counter() - t)
    return best


def bench_pair(pair: Path, clm: str, repeat: int, oracle: Any, oracle_text: Any, tmp: Path,
               timed: bool, lo: bool = False) -> dict[str, Any]:
    """Return the figures of one pair."""
    old_txt = (pair / "old.txt").read_text(encoding="utf-8")
    new_txt = (pair / "new.txt").read_text(encoding="utf-8")
    red = diff_engine.diff(documents.from_text(old_txt), documents.from_text(new_txt))
    ev_text = oracle_text.evaluate(old_txt, new_txt, red.ops())
    out = tmp / f"{pair.name}.docx"
    runs = []
    rss = []
    status = 0
    for _ in range(repeat if timed else 1):
        status, wall, peak = run_cli([clm, "diff", str(pair / "old.docx"), str(pair / "new.docx"),
                                      "--format", "docx", "-o", str(out)])
        if status:
            break
        runs.append(wall)
        rss.append(peak)
    row: dict[str, Any] = {
        "pair": pair.name,
        "words": len(old_txt.split()),
        "text_ok": ev_text["correct"],
        "text_noise": ev_text["noise_ratio"],
        "fragmented": ev_text["fragmented_words"],
        "moved_paragraphs": red.stats["paragraphs_moved"],
    }
    if status == 0 and out.exists():
        ev = oracle.evaluate(str(pair / "old.docx"), str(pair / "new.docx"), str(out), lo=lo)
        if lo:
            row["lo_pdf"] = bool(ev.get("libreoffice", {}).get("pdf_ok"))
        row.update(docx_ok=ev["correct"], docx_noise=ev["noise_ratio"], format_ok=ev["format_preserved"],
                   rpr_changes=ev["revisions"]["rPrChange"], docx_s=statistics.median(runs),
                   rss_mib=max((x for x in rss if x is not None), default=None))
    else:
        row.update(docx_ok=False, docx_noise=None, format_ok=False, rpr_changes=0, docx_s=None, rss_mib=None)
    if timed:
        row["json_s"] = json_diff_seconds(old_txt, new_txt, repeat)
    return row


def peers(shared: Path) -> dict[str, dict[str, float]]:
    """Return peer tool -> pair -> median seconds, from peer_results.json."""
    path = shared / "data" / "redline" / "peer_results.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    out: dict[str, dict[str, float]] = {}
    for key, res in data.get("results", {}).items():
        out[key] = {p["pair"]: p["median_s"] for p in res.get("pairs", []) if p.get("median_s") is not None}
    return out


def fmt(x: Any, spec: str = "") -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "ok" if x else "FAIL"
    return format(x, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", nargs="+", default=["dev", "large"], choices=["dev", "large"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--lo", action="store_true",
                    help="also convert every redline .docx to PDF with LibreOffice (soffice) and check it opens")
    a = ap.parse_args(argv)

    sys.path.insert(0, str(a.shared / "tools"))
    import redline_oracle as oracle  # type: ignore[import-not-found]
    import redline_oracle_text as oracle_text  # type: ignore[import-not-found]

    clm = str(Path(sys.executable).with_name("clm"))
    peer = peers(a.shared)
    ok = True
    with tempfile.TemporaryDirectory(prefix="clm_redline_bench_") as td:
        for split in a.pairs:
            timed = split == "large"
            pairs = sorted(p for p in (a.shared / "data" / "redline" / split).iterdir() if p.is_dir())
            rows = [bench_pair(p, clm, a.repeat, oracle, oracle_text, Path(td), timed, a.lo) for p in pairs]
            print(f"\n== {split}: {len(rows)} pairs")
            head = f"{'pair':58} {'words':>6} {'json':>4} {'noise':>6} {'docx':>4} {'noise':>6} {'fmt':>4} {'moved':>5}"
            if timed:
                head += f" {'json_s':>7} {'docx_s':>7} {'rss_MiB':>7} {'docxodus_s':>10} {'speedup':>7}"
            print(head)
            for r in rows:
                line = (f"{r['pair'][:58]:58} {r['words']:>6} {fmt(r['text_ok']):>4} {fmt(r['text_noise'], '.3f'):>6}"
                        f" {fmt(r['docx_ok']):>4} {fmt(r['docx_noise'], '.3f'):>6} {fmt(r['format_ok']):>4}"
                        f" {r['moved_paragraphs']:>5}")
                if timed:
                    dx = peer.get("large_docxodus", {}).get(r["pair"])
                    speed = dx / r["docx_s"] if dx and r["docx_s"] else None
                    line += (f" {fmt(r['json_s'], '.3f'):>7} {fmt(r['docx_s'], '.3f'):>7} {fmt(r['rss_mib'], '.1f'):>7}"
                             f" {fmt(dx, '.2f'):>10} {fmt(speed, '.1f'):>6}x")
                print(line)
            text_noise = [r["text_noise"] for r in rows if r["text_noise"] is not None]
            docx_noise = [r["docx_noise"] for r in rows if r["docx_noise"] is not None]
            n_text = sum(r["text_ok"] for r in rows)
            n_docx = sum(r["docx_ok"] for r in rows)
            n_fmt = sum(r["format_ok"] for r in rows)
            summary = (f"SUMMARY {split}: json correct {n_text}/{len(rows)}, docx correct {n_docx}/{len(rows)},"
                       f" format kept {n_fmt}/{len(rows)}, noise json median {statistics.median(text_noise):.3f}"
                       f" max {max(text_noise):.3f}, docx median {statistics.median(docx_noise or [0]):.3f}"
                       f" max {max(docx_noise or [0]):.3f}")
            if a.lo:
                summary += f", LibreOffice opens {sum(r.get('lo_pdf', False) for r in rows)}/{len(rows)}"
            if timed:
                docx_s = [r["docx_s"] for r in rows if r["docx_s"] is not None]
                json_s = [r["json_s"] for r in rows]
                summary += (f", json diff max {max(json_s):.3f}s, clm diff docx max {max(docx_s or [0]):.3f}s,"
                            f" peak RSS {max((r['rss_mib'] or 0) for r in rows):.1f} MiB")
                dx_total = sum(peer.get("large_docxodus", {}).get(r["pair"], 0) for r in rows)
                if dx_total and docx_s:
                    summary += f", vs Docxodus {dx_total / sum(docx_s):.1f}x faster (total)"
            print(summary)
            ok = ok and n_text == n_docx == len(rows) and (not a.lo or all(r.get("lo_pdf") for r in rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
