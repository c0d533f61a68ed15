"""Files sent with a trace request: PDF documents and photos. The type is read from the
content (a renamed executable is refused, whatever its name), the size is limited, and
the file is stored under UPLOAD_FOLDER/tracing named by its SHA-256."""

import hashlib
import io
import re
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from registry.errors import DomainError

# Leading bytes of the accepted kinds, and the type the file is served as.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def detect_content_type(data: bytes) -> str | None:
    """The accepted type the bytes really are, or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            if content_type in IMAGE_FORMATS and not _is_whole_image(data, IMAGE_FORMATS[content_type]):
                return None
            if content_type == "application/pdf" and b"%%EOF" not in data[-2048:]:
                return None
            return content_type
    return None


def _is_whole_image(data: bytes, expected_format: str) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected_format:
                return False
            image.verify()
    except Exception:  # any decoding failure means "not an image we accept"
        return False
    return True


def safe_filename(name: str) -> str:
    """A name fit to show and to offer on download: no path, no control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:200] or "file"


def max_size() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def check_file(filename: str, data: bytes) -> tuple[str, str]:
    """(content type, sha256) of an acceptable file, or DomainError saying what is wrong."""
    if not data:
        raise DomainError(_l("The file is empty."), field="file")
    if len(data) > max_size():
        raise DomainError(_l("The file is larger than %(size)d MB.",
                             size=int(current_app.config["MAX_UPLOAD_MB"])), field="file")
    content_type = detect_content_type(data)
    if content_type is None:
        raise DomainError(_l("Only PDF documents and PNG or JPEG images are accepted. The content of "
                             "“%(name)s” is neither, whatever its name says.",
                             name=safe_filename(filename)), field="file")
    return content_type, hashlib.sha256(data).hexdigest()


def store(data: bytes, sha256: str) -> str:
    """Write the file once (same content, same name) and return its path under UPLOAD_FOLDER."""
    relative = f"tracing/{sha256[:2]}/{sha256}"
    target = Path(current_app.config["UPLOAD_FOLDER"]) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return relative


def stored_path(relative: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / relative
