"""Unpack a submitted archive (zip, wheel, tar, sdist) into a private folder, safely.

Submissions may be hostile, so every member is checked before anything is written:
nothing lands outside the destination folder (absolute names, `..`, links pointing
out), no device files or FIFOs, and the limits of `ArchiveLimits` (total size, member
count, single-member size, compression ratio, nesting depth) hold for everything unpacked
for one app, archives inside archives included. Links that stay inside are not created
(the scan reads Python files only) and are counted. A refusal raises `ArchiveError`.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from scanner.options import ArchiveLimits

ZIP_SUFFIXES = (".zip", ".whl")
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
ARCHIVE_SUFFIXES = ZIP_SUFFIXES + TAR_SUFFIXES
_CHUNK = 1024 * 1024
_HAS_FILTERS = hasattr(tarfile, "data_filter")
"""Whether tarfile has extraction filters (3.12, and 3.10.12+/3.11.4+)."""
_UNPACKED = ".unpacked"
"""Suffix of the folder an inner archive is unpacked into, next to the archive."""


class ArchiveError(Exception):
    """An archive was refused (hostile, over a limit, or corrupt); the message says why."""


@dataclass
class Unpacked:
    """What unpacking one submission did: bytes and members written, links skipped and
    inner archives unpacked."""

    total_bytes: int = 0
    members: int = 0
    links_skipped: int = 0
    inner_archives: list[str] = field(default_factory=list)


def archive_kind(path: Path) -> str | None:
    """`zip`, `tar`, or None when the name is not a supported archive."""
    name = path.name.lower()
    if name.endswith(ZIP_SUFFIXES):
        return "zip"
    if name.endswith(TAR_SUFFIXES):
        return "tar"
    return None


def unpack(archive: Path, dest: Path, limits: ArchiveLimits) -> Unpacked:
    """Unpack `archive` into the existing, empty folder `dest`, then the archives inside
    it (up to `limits.max_depth`). Raises `ArchiveError` on the first refusal; the caller
    removes `dest` whatever happens."""
    state = Unpacked()
    _unpack_one(archive, dest, limits, state, depth=1)
    return state


def _unpack_one(archive: Path, dest: Path, limits: ArchiveLimits, state: Unpacked,
                depth: int) -> None:
    kind = archive_kind(archive)
    label = archive.name
    try:
        if kind == "zip":
            _unpack_zip(archive, dest, limits, state)
        elif kind == "tar":
            _unpack_tar(archive, dest, limits, state)
        else:
            raise ArchiveError(f"{label}: not a supported archive")
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError, zlib.error,
            NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise ArchiveError(f"{label}: corrupt or unreadable archive ({type(exc).__name__}: "
                           f"{exc})") from exc
    for inner in sorted(p for p in dest.rglob("*") if p.is_file() and archive_kind(p)):
        if depth + 1 > limits.max_depth:
            raise ArchiveError(f"{label}: archive nested more than {limits.max_depth} deep "
                               f"({inner.relative_to(dest).as_posix()})")
        target = inner.with_name(inner.name + _UNPACKED)
        if target.exists():
            raise ArchiveError(f"{label}: cannot unpack inner archive {inner.name}: "
                               f"{target.name} already exists")
        target.mkdir()
        state.inner_archives.append(inner.relative_to(dest).as_posix())
        _unpack_one(inner, target, limits, state, depth + 1)


def safe_name(name: str) -> PurePosixPath:
    """The member name as a relative path that stays inside the destination; raises
    `ArchiveError` for absolute names, drive letters, `..` and empty names."""
    if "\x00" in name:
        raise ArchiveError(f"member name with a NUL byte: {name!r}")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        raise ArchiveError(f"absolute member path refused: {name!r}")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"member path leaving the archive refused: {name!r}")
    if not parts:
        raise ArchiveError(f"empty member name refused: {name!r}")
    return PurePosixPath(*parts)


def _count(state: Unpacked, limits: ArchiveLimits, name: str, size: int) -> None:
    """Account for one member; raises `ArchiveError` past a limit."""
    state.members += 1
    if state.members > limits.max_files:
        raise ArchiveError(f"more than {limits.max_files} members (--max-archive-files)")
    if size > limits.max_file_bytes:
        raise ArchiveError(f"member {name!r} unpacks to {size} bytes, over the limit of "
                           f"{limits.max_file_bytes} (--max-archive-member-size)")
    state.total_bytes += size
    if state.total_bytes > limits.max_total_bytes:
        raise ArchiveError(f"unpacks to more than {limits.max_total_bytes} bytes "
                           "(--max-archive-size)")


def _check_ratio(unpacked: int, packed: int, limits: ArchiveLimits, what: str) -> None:
    if unpacked > limits.ratio_floor_bytes and unpacked > limits.max_ratio * max(packed, 1):
        raise ArchiveError(f"{what} has a compression ratio over {limits.max_ratio:g} "
                           f"({unpacked} bytes from {packed}): refused as a zip bomb "
                           "(--max-compression-ratio)")


def _target(dest: Path, rel: PurePosixPath) -> Path:
    """The output path of `rel`, after checking it resolves inside `dest` (no earlier
    member can have made a link, but check anyway)."""
    path = dest.joinpath(*rel.parts)
    if not path.resolve().is_relative_to(dest.resolve()):
        raise ArchiveError(f"member path leaving the archive refused: {rel.as_posix()!r}")
    return path


def _unpack_zip(archive: Path, dest: Path, limits: ArchiveLimits, state: Unpacked) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = safe_name(info.filename)
            mode = info.external_attr >> 16
            if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                if stat.S_ISLNK(mode):
                    _count(state, limits, info.filename, 0)
                    state.links_skipped += 1
                    continue
                raise ArchiveError(f"special file member refused: {info.filename!r}")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"encrypted member refused: {info.filename!r}")
            _count(state, limits, info.filename, info.file_size)
            path = _target(dest, rel)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            _check_ratio(info.file_size, info.compress_size, limits, f"member {info.filename!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, open(path, "wb") as out:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > info.file_size:  # never trust the declared size alone
                        raise ArchiveError(f"member {info.filename!r} is larger than declared")
                    out.write(chunk)


def _unpack_tar(archive: Path, dest: Path, limits: ArchiveLimits, state: Unpacked) -> None:
    packed = archive.stat().st_size
    unpacked = 0
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            rel = safe_name(member.name)
            if member.issym() or member.islnk():
                _check_link(member, rel)
                _count(state, limits, member.name, 0)
                state.links_skipped += 1
                continue
            if not (member.isreg() or member.isdir()):
                raise ArchiveError(f"special file member refused ({_tar_type(member)}): "
                                   f"{member.name!r}")
            _count(state, limits, member.name, member.size)
            unpacked += member.size
            _check_ratio(unpacked, packed, limits, f"archive {archive.name!r}")
            path = _target(dest, rel)
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            # Checked above; tarfile's own "data" filter (3.12+, 3.11.4+) checks again.
            if _HAS_FILTERS:
                tf.extract(member, dest, set_attrs=False, filter="data")
            else:  # pragma: no cover - older patch releases
                tf.extract(member, dest, set_attrs=False)


def _check_link(member: tarfile.TarInfo, rel: PurePosixPath) -> None:
    """Refuse a link whose target leaves the archive (it is never created either way)."""
    target = member.linkname.replace("\\", "/")
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        raise ArchiveError(f"link {member.name!r} to an absolute path refused ({target!r})")
    base = list(rel.parent.parts) if member.issym() else []
    for part in target.split("/"):
        if part == "..":
            if not base:
                raise ArchiveError(f"link {member.name!r} pointing out of the archive refused "
                                   f"({target!r})")
            base.pop()
        elif part not in ("", "."):
            base.append(part)


def _tar_type(member: tarfile.TarInfo) -> str:
    if member.ischr() or member.isblk():
        return "device"
    if member.isfifo():
        return "FIFO"
    return f"type {member.type!r}"
