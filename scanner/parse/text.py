"""Read one file's bytes safely (regular files only, never blocking, size-capped) and
decode them as Python does, turning every problem into a reason."""

from __future__ import annotations

import io
import os
import stat
import tokenize

from scanner.discover.files import SourceFile
from scanner.model import SkippedFile, SkipReason
from scanner.options import ParseLimits


def decode_source(data: bytes) -> str:
    """Decode Python source bytes as Python does (BOM, coding cookie, else UTF-8)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    text = data.decode(encoding)
    return text.removeprefix("\ufeff")


def read_regular_file(source: SourceFile, max_bytes: int) -> bytes | SkippedFile:
    """The bytes of `source` if it is a regular file of at most `max_bytes`.

    The file is opened without following a final symlink and without blocking, and
    checked with fstat before a byte is read: a FIFO or device is never read from."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(source.path, flags)
    except OSError as exc:
        return SkippedFile(source.relpath, SkipReason.UNREADABLE, exc.strerror or str(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return SkippedFile(source.relpath, SkipReason.NOT_A_REGULAR_FILE,
                               "not a regular file (FIFO, device or socket); never read")
        if info.st_size > max_bytes:
            return SkippedFile(source.relpath, SkipReason.TOO_LARGE,
                               f"{info.st_size} bytes exceeds the limit of {max_bytes} (--max-file-size)")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return SkippedFile(source.relpath, SkipReason.UNREADABLE, exc.strerror or str(exc))
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return SkippedFile(source.relpath, SkipReason.TOO_LARGE,
                           f"more than {max_bytes} bytes (--max-file-size)")
    return data


def load_text(source: SourceFile, limits: ParseLimits) -> str | SkippedFile:
    """The decoded text of `source`, or why it cannot be read."""
    data = read_regular_file(source, limits.max_file_bytes)
    if isinstance(data, SkippedFile):
        return data
    if b"\x00" in data:
        return SkippedFile(source.relpath, SkipReason.BINARY, "the file contains NUL bytes")
    try:
        return decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return SkippedFile(source.relpath, SkipReason.UNDECODABLE, f"cannot decode as source text: {exc}")
