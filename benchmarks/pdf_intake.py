"""Benchmark PDF intake on CUAD's own PDFs: every PDF read, extraction F1 from PDF vs .txt, speed.

    python benchmarks/pdf_intake.py                      # all dev PDFs; OCR on 4 of them
    python benchmarks/pdf_intake.py --limit 40 --ocr-limit 2

1. Text: every ``../shared/data/cuad/dev-pdf/*.pdf`` is read (clm.versions.pdfread, text layer
   only, in this process) and timed: failures, pages, pages/s.
2. Extraction from the PDFs, the product path: ``clm extract FILE.pdf ...`` (each file read in
   the capped child, OCR where a page needs it; the record id is the file's stem), and from the
   published text: ``clm extract --jsonl contracts.jsonl``; both scored by the shared scorer
   (``../shared/tools/score_extraction.py``, as benchmarks/extraction.py) on the same contracts.
   The figure is presence macro F1 (the scorer's SUMMARY); value accuracy is printed too.
   Evidence offsets index each run's own text, so evidence figures are not comparable here.
3. OCR: a sample of the contracts (the first ``--ocr-limit`` by SHA-1 of their id, at most
   ``--ocr-max-pages`` pages each) is rendered to image-only PDFs at ``--dpi`` (pypdfium2 +
   PIL: no text layer left) and run through ``clm extract`` again: OCR pages/s (wall clock,
   one process) and macro F1 on that sample against the .txt and the text-layer PDFs.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                     # run from a checkout without installing

DATA = ROOT.parent / "shared" / "data" / "cuad"
SCORER = ROOT.parent / "shared" / "tools" / "score_extraction.py"
CLM = str(Path(sys.executable).with_name("clm"))


def load_records(gold: Path) -> list[dict[str, str]]:
    with open(gold / "contracts.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def subset_gold(gold: Path, records: list[dict[str, str]], ids: set[str], where: Path) -> Path:
    """Return a gold dir holding only the contracts ``ids`` (the scorer counts absent ones as misses)."""
    where.mkdir(parents=True, exist_ok=True)
    with open(gold / "labels.jsonl", encoding="utf-8") as src, open(where / "labels.jsonl", "w",
                                                                    encoding="utf-8") as dst:
        for line in src:
            if json.loads(line)["id"] in ids:
                dst.write(line)
    with open(where / "contracts.jsonl", "w", encoding="utf-8") as dst:
        for rec in records:
            if rec["id"] in ids:
                dst.write(json.dumps(rec) + "\n")
    return where


def score(gold: Path, predictions: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(SCORER), str(gold), str(predictions), "--json"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    summary = result["summary"]
    summary["missing"] = result["missing"]
    return summary


def clm_extract(args: list[str], out: Path) -> tuple[float, int]:
    """Run ``clm extract ARGS`` writing predictions to ``out``; return (wall seconds, failures)."""
    t0 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        done = subprocess.run([CLM, "extract", *args], stdout=f, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - t0
    errors = [line for line in done.stderr.splitlines() if line.startswith("clm: error:")]
    for line in errors[:10]:
        print("  " + line[:200])
    return elapsed, len(errors)


def to_image_pdf(src: Path, dst: Path, dpi: int) -> int:
    """Write ``src`` rendered to images at ``dpi`` as an image-only PDF; return its page count."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(src.read_bytes())
    images = []
    for i in range(len(pdf)):
        page = pdf[i]
        images.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
        page.close()
    pdf.close()
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    dst.write_bytes(buf.getvalue())
    return len(images)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DATA / "dev")
    ap.add_argument("--pdf-dir", type=Path, default=DATA / "dev-pdf")
    ap.add_argument("--limit", type=int, default=None, help="only the first N contracts (by id)")
    ap.add_argument("--ocr-limit", type=int, default=4, help="contracts in the OCR sample (0: skip OCR)")
    ap.add_argument("--ocr-max-pages", type=int, default=30, help="leave longer contracts out of the OCR sample")
    ap.add_argument("--dpi", type=int, default=200, help="resolution of the image-only PDFs")
    ap.add_argument("--work", type=Path, default=Path("/tmp/clm_pdf_intake"))
    ap.add_argument("--ocr-only", action="store_true", help="skip 1 and 2: only the OCR sample")
    args = ap.parse_args(argv)
    if not args.pdf_dir.is_dir():
        print(f"no PDFs at {args.pdf_dir}", file=sys.stderr)
        return 2
    from clm.versions.pdfread import PdfOptions, from_pdf

    records = load_records(args.gold)
    by_stem = {p.stem: p for p in args.pdf_dir.glob("*.pdf")}
    records = [r for r in records if r["id"] in by_stem]
    records.sort(key=lambda r: r["id"])
    if args.limit is not None:
        records = records[:args.limit]
    ids = {r["id"] for r in records}
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"{len(records)} contracts with a PDF (of {len(by_stem)} PDFs in {args.pdf_dir})", flush=True)

    if not args.ocr_only:
        text_and_extraction(args, records, by_stem, ids, from_pdf, PdfOptions)
    if args.ocr_limit > 0:
        ocr_sample(args, records, by_stem)
    return 0


def text_and_extraction(args, records, by_stem, ids, from_pdf, PdfOptions) -> None:
    """Steps 1 and 2: read every text layer; extraction from the PDFs vs from the .txt."""
    pages = failures = 0
    chars = 0
    elapsed = 0.0
    for rec in records:
        data = by_stem[rec["id"]].read_bytes()
        t0 = time.perf_counter()
        try:
            doc = from_pdf(data, PdfOptions(ocr=False))
        except Exception as err:  # noqa: BLE001 - counted and named
            failures += 1
            print(f"  read failed: {rec['id']}: {err}")
            continue
        finally:
            elapsed += time.perf_counter() - t0
        pages += len(doc.pages)
        chars += len(doc.text)
    print(f"TEXT: read {len(records) - failures}/{len(records)} PDFs ({failures} failures), {pages:,} pages, "
          f"{chars:,} chars in {elapsed:.1f} s: {pages / elapsed:,.1f} pages/s (one process)", flush=True)

    # 2. extraction from the PDFs (product path) vs from the published text
    gold = subset_gold(args.gold, records, ids, args.work / "gold") if args.limit else args.gold
    jsonl = args.work / "contracts.jsonl"
    with open(jsonl, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps({"id": rec["id"], "text": rec["text"]}) + "\n")
    txt_time, _ = clm_extract(["--jsonl", str(jsonl)], args.work / "pred_txt.jsonl")
    pdf_time, pdf_failures = clm_extract([str(by_stem[r["id"]]) for r in records], args.work / "pred_pdf.jsonl")
    s_txt, s_pdf = score(gold, args.work / "pred_txt.jsonl"), score(gold, args.work / "pred_pdf.jsonl")
    print(f"EXTRACT from .txt: macro F1 {s_txt['presence_macro_f1']:.3f}  value acc {s_txt['value_macro_acc']:.3f}"
          f"  ({txt_time:.0f} s)")
    print(f"EXTRACT from .pdf: macro F1 {s_pdf['presence_macro_f1']:.3f}  value acc {s_pdf['value_macro_acc']:.3f}"
          f"  ({pdf_time:.0f} s, {pdf_failures} files refused, {s_pdf['missing']} missing)")
    print(f"DELTA macro F1 pdf - txt: {s_pdf['presence_macro_f1'] - s_txt['presence_macro_f1']:+.3f} "
          f"over {len(records)} contracts", flush=True)


def ocr_sample(args, records, by_stem) -> None:
    """Step 3: OCR on image-only renderings of a sample, against the .txt and text-layer PDFs."""
    import pypdfium2 as pdfium

    sample = []
    for rec in sorted(records, key=lambda r: hashlib.sha1(r["id"].encode("utf-8")).hexdigest()):
        if len(sample) >= args.ocr_limit:
            break
        n = len(pdfium.PdfDocument(by_stem[rec["id"]].read_bytes()))
        if n <= args.ocr_max_pages:
            sample.append(rec)
    scans = args.work / f"scans{args.dpi}"
    scans.mkdir(exist_ok=True)
    ocr_pages = 0
    paths = []
    for rec in sample:
        dst = scans / f"{rec['id']}.pdf"
        ocr_pages += to_image_pdf(by_stem[rec["id"]], dst, args.dpi)
        paths.append(str(dst))
    sample_ids = {r["id"] for r in sample}
    sample_gold = subset_gold(args.gold, records, sample_ids, args.work / "gold_ocr")
    ocr_time, ocr_failures = clm_extract(paths, args.work / "pred_ocr.jsonl")
    clm_extract(["--jsonl", str(sample_gold / "contracts.jsonl")], args.work / "pred_txt_sample.jsonl")
    clm_extract([str(by_stem[r["id"]]) for r in sample], args.work / "pred_pdf_sample.jsonl")
    s_ocr = score(sample_gold, args.work / "pred_ocr.jsonl")
    s_txt_sample = score(sample_gold, args.work / "pred_txt_sample.jsonl")
    s_pdf_sample = score(sample_gold, args.work / "pred_pdf_sample.jsonl")
    print(f"OCR: {len(sample)} contracts, {ocr_pages} pages rendered at {args.dpi} dpi, read by OCR in "
          f"{ocr_time:.0f} s: {ocr_pages / ocr_time:.2f} pages/s (one process, wall clock; "
          f"{ocr_failures} refused)")
    print(f"OCR sample macro F1: scans {s_ocr['presence_macro_f1']:.3f}  text-layer PDFs "
          f"{s_pdf_sample['presence_macro_f1']:.3f}  .txt {s_txt_sample['presence_macro_f1']:.3f}  "
          f"DELTA scans - txt {s_ocr['presence_macro_f1'] - s_txt_sample['presence_macro_f1']:+.3f}")


if __name__ == "__main__":
    sys.exit(main())
