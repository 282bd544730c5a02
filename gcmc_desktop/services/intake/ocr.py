"""Text for image-only scans, so they are searchable like PDFs with a text layer.

Two engines, chosen per station (setting `station/ocr_engine`, shown in the station window):
- RapidOCR (`rapidocr-onnxruntime`), bundled: its wheel ships the detection and recognition
  models, so it needs no download and no system binaries on Windows or macOS;
- Tesseract, where it is installed on the PC (`tesseract` on the PATH: apt/brew/the Windows
  installer). It is called as a program (what `pytesseract` and `ocrmypdf` do too), so it is
  never a dependency of the application. On the 2-core test machine it read generated noisy
  scans faster and with a lower character error rate than RapidOCR (bench/scanning.py).

`auto` (the default) takes Tesseract where it is installed, else RapidOCR. A page Tesseract
fails on (it crashed, timed out, was uninstalled meanwhile) is read by RapidOCR instead.
Where neither is available the scan is filed without text; OCR never stops filing.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
OCR_DPI = 200
AUTO, RAPIDOCR, TESSERACT, OFF = "auto", "rapidocr", "tesseract", "off"
ENGINES = (AUTO, RAPIDOCR, TESSERACT, OFF)
TESSERACT_TIMEOUT_S = 180


@cache
def _engine():  # -> RapidOCR | None
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR()


def rapidocr_installed() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("rapidocr_onnxruntime") is not None
    except (ImportError, ValueError):
        return False


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


@cache
def _tesseract_version(path: str) -> str:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].removeprefix("tesseract ").strip() if first else ""


def available() -> bool:
    return choose(AUTO) is not None


def choose(preference: str = AUTO) -> str | None:
    """The engine that will read scans for this preference on this PC (None: no OCR)."""
    if preference == OFF:
        return None
    tesseract = tesseract_path() is not None
    rapid = rapidocr_installed()
    if preference == RAPIDOCR:
        return RAPIDOCR if rapid else (TESSERACT if tesseract else None)
    # AUTO and TESSERACT: Tesseract where it is installed, else the bundled engine.
    return TESSERACT if tesseract else (RAPIDOCR if rapid else None)


def describe(engine: str | None) -> str:
    """The engine in words, for the station window."""
    if engine == TESSERACT:
        path = tesseract_path()
        version = _tesseract_version(path) if path else ""
        return f"Tesseract {version} (installed on this PC)".replace("  ", " ")
    if engine == RAPIDOCR:
        return "RapidOCR (bundled)"
    return "off — image-only scans are filed without searchable text"


def _threshold(histogram: list[int]) -> int:
    """The grey level halfway between the paper (the median) and the ink (the darkest 0.2 %).
    Otsu's method would split the paper's own noise on a page with little text."""
    total = sum(histogram)
    seen, dark, paper = 0, None, 255
    for level, count in enumerate(histogram):
        seen += count
        if dark is None and seen >= total * 0.002:
            dark = level
        if seen >= total / 2:
            paper = level
            break
    return ((dark or 0) + paper) // 2


def clean_for_tesseract(image):
    """A scan as Tesseract reads it best: speckle removed (a 3×3 median) and binarised at the
    level halfway from the paper to the ink. Its built-in binariser fails on the grey, noisy
    pages of cheap scanners (it read nothing of the test scans), which RapidOCR reads as they
    are. OpenCV (installed with RapidOCR) does the filtering without holding the GIL — Pillow's
    median filter holds it for a second a page, a second the window would freeze."""
    from PIL import Image

    grey = image.convert("L")
    try:
        import cv2
        import numpy
    except ImportError:
        from PIL import ImageFilter

        grey = grey.filter(ImageFilter.MedianFilter(3))
        threshold = _threshold(grey.histogram())
        return grey.point(lambda v: 255 if v > threshold else 0, mode="1")
    pixels = cv2.medianBlur(numpy.asarray(grey), 3)
    histogram = cv2.calcHist([pixels], [0], None, [256], [0, 256]).ravel().astype(int).tolist()
    _ok, binary = cv2.threshold(pixels, _threshold(histogram), 255, cv2.THRESH_BINARY)
    return Image.fromarray(binary)


def _tesseract(image) -> str:
    path = tesseract_path()
    if path is None:
        raise OSError("Tesseract is not installed")
    buffer = io.BytesIO()
    clean_for_tesseract(image).save(buffer, "PNG")
    # One thread: the station's other work (and other programs) share the cores.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        [path, "stdin", "stdout", "-l", "eng", "--psm", "3", "--dpi", str(OCR_DPI)],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=TESSERACT_TIMEOUT_S,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise OSError(done.stderr.decode(errors="replace").strip()[-300:] or "Tesseract failed")
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _rapidocr(image) -> str:
    engine = _engine()
    if engine is None:
        return ""
    import numpy

    result, _elapsed = engine(numpy.asarray(image.convert("RGB")))
    if not result:
        return ""
    # Lines in reading order: top to bottom, then left to right.
    lines = sorted(result, key=lambda r: (round(r[0][0][1] / 20), r[0][0][0]))
    return "\n".join(text for _box, text, _score in lines)


def ocr_image(image, engine: str | None = None) -> str:  # PIL image
    engine = choose(AUTO) if engine is None else engine
    if engine == TESSERACT:
        try:
            return _tesseract(image)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("Tesseract could not read the page (%s); using RapidOCR", exc)
            engine = RAPIDOCR
    if engine == RAPIDOCR:
        return _rapidocr(image)
    return ""


def warm(preference: str = AUTO) -> None:
    """Load the engine this preference reads with (RapidOCR's models take a second or two)."""
    if choose(preference) == RAPIDOCR:
        _engine()


def ocr_pdf(pdf_path: Path, preference: str = AUTO) -> str:
    engine = choose(preference)
    if engine is None:
        return ""
    import pypdfium2

    texts = []
    try:
        document = pypdfium2.PdfDocument(str(pdf_path))
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil()
                    texts.append(ocr_image(image, engine))
                finally:
                    page.close()
        finally:
            document.close()
    except Exception as exc:  # OCR is a bonus: a failure only means no search text
        log.warning("OCR of %s failed: %s", pdf_path.name, exc)
    return "\n\n".join(t for t in texts if t)
