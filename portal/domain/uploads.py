"""Attachments: checked by content, not by name; images re-encoded without their EXIF data;
stored under a random name outside `static/` (SECURITY.md, Uploads).

Chaozhou's registration keeps what the enterprise hands in; the whistle form takes up to 5
files of JPEG, PNG or PDF, at most 10 MB each.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.domain.errors import N_, RuleViolation

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# Signatures of the three accepted kinds: (content type, extension, leading bytes).
KINDS = (
    ("image/jpeg", "jpg", b"\xff\xd8\xff"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", "pdf", b"%PDF-"),
)
MAX_PIXELS = 24_000_000  # a 24-megapixel phone photo; checked before anything is decoded
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass
class CheckedFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_files(files) -> list[CheckedFile]:
    """Check uploaded files (objects with `filename` and `read()`): the count first, then
    each file, so a flood of files is refused before any is decoded."""
    chosen = [f for f in files or [] if f and f.filename]
    if len(chosen) > MAX_FILES:
        raise RuleViolation(N_("Attach at most 5 files."), field="attachments")
    return [check_file(f.filename, f.read()) for f in chosen]


def check_file(filename: str, data: bytes) -> CheckedFile:
    """Accept a JPEG, PNG or PDF by its content; re-encode images without metadata."""
    if len(data) == 0:
        raise RuleViolation(N_("The file is empty. Choose another file."))
    if len(data) > MAX_BYTES:
        raise RuleViolation(N_("Each file must be 10 MB or smaller."))
    kind = next((k for k in KINDS if data.startswith(k[2])), None)
    if kind is None:
        raise RuleViolation(N_("Attach photos (JPG, PNG) or PDF documents only."))
    content_type, ext, _ = kind
    if content_type.startswith("image/"):
        data = _strip_metadata(data, "JPEG" if ext == "jpg" else "PNG")
    stem = Path(filename or "file").stem[:80] or "file"
    return CheckedFile(f"{stem}.{ext}", content_type, data)


def _strip_metadata(data: bytes, fmt: str) -> bytes:
    """Decode the picture and encode its pixels alone: EXIF (with GPS), comments and any
    trailing payload are dropped, and a file that only looks like a picture is refused."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise RuleViolation(N_("The picture is too large. Choose a smaller one."))
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)  # keep portrait photos upright
            if image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGBA" if fmt == "PNG" else "RGB")
            if fmt == "JPEG" and image.mode == "RGBA":
                image = image.convert("RGB")
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise RuleViolation(N_("The picture could not be read. Take or choose it again.")) from None
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=85)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def store(root: Path, checked: CheckedFile) -> str:
    """Write the bytes under a random name in `root`; returns that name."""
    root.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (root / name).write_bytes(checked.data)
    return name
