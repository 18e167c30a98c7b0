"""Safe extraction of submitted archives: every hostile shape is refused with a clear
reason, nothing is written outside the destination, limits hold, and the temporary
folder of an app is always removed. Every archive is built here, in tmp_path."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from scanner.batch import app as app_module
from scanner.batch.app import AppInput, BatchSettings, scan_app
from scanner.batch.archives import ArchiveError, Unpacked, unpack
from scanner.options import ArchiveLimits, ParseLimits, ScanOptions, SemgrepOptions

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "bulk_export"
SETTINGS = BatchSettings(scan=ScanOptions(paths=[], parse_limits=ParseLimits(isolated=False),
                                          semgrep=SemgrepOptions(enabled=False)))


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None,
         mode: str = "w:gz") -> Path:
    data = data or {}
    with tarfile.open(path, mode) as tf:
        for info in members:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            tf.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def _refused(archive: Path, dest: Path, limits: ArchiveLimits | None = None) -> str:
    dest.mkdir()
    with pytest.raises(ArchiveError) as caught:
        unpack(archive, dest, limits or ArchiveLimits())
    return str(caught.value)


def _files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_zip_slip_is_refused_and_nothing_lands_outside(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "slip.zip", {"ok.py": b"x = 1\n", "../evil.py": b"bad\n"})
    message = _refused(archive, tmp_path / "out")
    assert message == "member path leaving the archive refused: '../evil.py'"
    assert not (tmp_path / "evil.py").exists()


def test_nested_dotdot_and_backslash_names_are_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "slip.zip", {"a/../../evil.py": b"bad\n"})
    assert "leaving the archive" in _refused(archive, tmp_path / "out")
    archive = _zip(tmp_path / "slip2.zip", {"a\\..\\..\\evil.py": b"bad\n"})
    assert "leaving the archive" in _refused(archive, tmp_path / "out2")


def test_absolute_member_paths_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "abs_evil.py"
    archive = _zip(tmp_path / "abs.zip", {str(target): b"bad\n"})
    assert _refused(archive, tmp_path / "out").startswith("absolute member path refused")
    tar = _tar(tmp_path / "abs.tgz", [_member(str(target))], {str(target): b"bad\n"})
    assert _refused(tar, tmp_path / "out2").startswith("absolute member path refused")
    assert not target.exists()


def test_tar_symlink_pointing_out_is_refused(tmp_path: Path) -> None:
    tar = _tar(tmp_path / "sym.tgz", [_member("pkg/link", tarfile.SYMTYPE, "../../outside")])
    assert _refused(tar, tmp_path / "out") == (
        "link 'pkg/link' pointing out of the archive refused ('../../outside')")
    tar = _tar(tmp_path / "sym2.tgz", [_member("link", tarfile.SYMTYPE, "/etc/passwd")])
    assert _refused(tar, tmp_path / "out2") == (
        "link 'link' to an absolute path refused ('/etc/passwd')")


def test_tar_hard_link_pointing_out_is_refused(tmp_path: Path) -> None:
    tar = _tar(tmp_path / "hard.tgz", [_member("pkg/x", tarfile.LNKTYPE, "../outside")])
    assert _refused(tar, tmp_path / "out") == (
        "link 'pkg/x' pointing out of the archive refused ('../outside')")


def test_links_inside_are_counted_and_never_created(tmp_path: Path) -> None:
    tar = _tar(tmp_path / "ok.tgz", [_member("pkg/a.py"), _member("pkg/b.py", tarfile.SYMTYPE,
                                                                    "a.py"),
                                     _member("pkg/c.py", tarfile.LNKTYPE, "pkg/a.py")],
               {"pkg/a.py": b"x = 1\n"})
    dest = tmp_path / "out"
    dest.mkdir()
    state = unpack(tar, dest, ArchiveLimits())
    assert state == Unpacked(total_bytes=6, members=3, links_skipped=2)
    assert _files_under(dest) == {"pkg", "pkg/a.py"}


def test_zip_symlink_member_is_not_created(tmp_path: Path) -> None:
    archive = tmp_path / "sym.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("a.py", "x = 1\n")
    dest = tmp_path / "out"
    dest.mkdir()
    assert unpack(archive, dest, ArchiveLimits()).links_skipped == 1
    assert _files_under(dest) == {"a.py"}


@pytest.mark.parametrize("kind,label", [(tarfile.CHRTYPE, "device"), (tarfile.BLKTYPE, "device"),
                                        (tarfile.FIFOTYPE, "FIFO")])
def test_device_and_fifo_members_are_refused(tmp_path: Path, kind: bytes, label: str) -> None:
    tar = _tar(tmp_path / "dev.tar", [_member("pkg/dev", kind)], mode="w")
    assert _refused(tar, tmp_path / "out") == f"special file member refused ({label}): 'pkg/dev'"


def test_zip_fifo_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "fifo.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("fifo")
        info.external_attr = (stat.S_IFIFO | 0o644) << 16
        zf.writestr(info, "")
    assert _refused(archive, tmp_path / "out") == "special file member refused: 'fifo'"


def test_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"zeros.py": b"\0" * (5 * 1024**2)})
    message = _refused(archive, tmp_path / "out")
    assert message.startswith("member 'zeros.py' has a compression ratio over 200 ")
    assert message.endswith("refused as a zip bomb (--max-compression-ratio)")
    assert _files_under(tmp_path / "out") == set()


def test_gzip_tar_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    tar = _tar(tmp_path / "bomb.tgz", [_member("zeros.py")], {"zeros.py": b"\0" * (5 * 1024**2)})
    assert _refused(tar, tmp_path / "out").startswith(
        "archive 'bomb.tgz' has a compression ratio over 200 ")


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "many.zip", {f"m{i}.py": b"" for i in range(6)})
    assert _refused(archive, tmp_path / "out", ArchiveLimits(max_files=5)) == (
        "more than 5 members (--max-archive-files)")


def test_too_large_member_is_refused(tmp_path: Path) -> None:
    tar = _tar(tmp_path / "big.tar", [_member("big.py")], {"big.py": b"x" * 2000}, mode="w")
    assert _refused(tar, tmp_path / "out", ArchiveLimits(max_file_bytes=1000)) == (
        "member 'big.py' unpacks to 2000 bytes, over the limit of 1000 "
        "(--max-archive-member-size)")


def test_too_large_total_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "total.zip", {f"m{i}.py": b"y" * 400 for i in range(3)})
    assert _refused(archive, tmp_path / "out", ArchiveLimits(max_total_bytes=1000)) == (
        "unpacks to more than 1000 bytes (--max-archive-size)")


@pytest.mark.parametrize("name,body", [("junk.zip", b"PK\x03\x04 not really a zip"),
                                       ("junk.tgz", b"\x1f\x8b\x08\x00 truncated gzip"),
                                       ("junk.whl", b"")])
def test_corrupt_archives_are_refused(tmp_path: Path, name: str, body: bytes) -> None:
    (tmp_path / name).write_bytes(body)
    assert _refused(tmp_path / name, tmp_path / "out").startswith(
        f"{name}: corrupt or unreadable archive (")


def test_an_encrypted_zip_is_refused(tmp_path: Path) -> None:
    data = bytearray(_zip(tmp_path / "plain.zip", {"a.py": b"x = 1\n"}).read_bytes())
    data[data.index(b"PK\x03\x04") + 6] |= 1  # general purpose flag: encrypted
    data[data.index(b"PK\x01\x02") + 8] |= 1
    (tmp_path / "enc.zip").write_bytes(bytes(data))
    assert _refused(tmp_path / "enc.zip", tmp_path / "out") == "encrypted member refused: 'a.py'"


def test_inner_archives_are_unpacked_up_to_the_depth_limit(tmp_path: Path) -> None:
    inner = _zip(tmp_path / "inner.zip", {"deep.py": b"x = 1\n"})
    middle = _zip(tmp_path / "middle.zip", {"lib/inner.zip": inner.read_bytes()})
    outer = _zip(tmp_path / "outer.zip", {"vendor/middle.zip": middle.read_bytes()})
    dest = tmp_path / "two"
    dest.mkdir()
    state = unpack(middle, dest, ArchiveLimits(max_depth=2))
    assert state.inner_archives == ["lib/inner.zip"]
    assert (dest / "lib" / "inner.zip.unpacked" / "deep.py").read_bytes() == b"x = 1\n"
    assert _refused(outer, tmp_path / "three", ArchiveLimits(max_depth=2)) == (
        "middle.zip: archive nested more than 2 deep (lib/inner.zip)")


def test_inner_archives_share_the_limits(tmp_path: Path) -> None:
    inner = _zip(tmp_path / "inner.zip", {f"m{i}.py": b"" for i in range(4)})
    outer = _zip(tmp_path / "outer.zip", {"a.py": b"", "inner.zip": inner.read_bytes()})
    assert _refused(outer, tmp_path / "out", ArchiveLimits(max_files=5)) == (
        "more than 5 members (--max-archive-files)")


def _private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(app_module.tempfile, "tempdir", str(temp))
    return temp


def test_the_temporary_folder_is_removed_after_success_and_refusal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = _private_temp(tmp_path, monkeypatch)
    good = _zip(tmp_path / "good.zip", {p.name: p.read_bytes() for p in APP.glob("*.py")})
    bad = _zip(tmp_path / "bad.zip", {"../evil.py": b"bad\n"})
    assert scan_app(AppInput("good", good), tmp_path / "out", SETTINGS).status == "scanned"
    row = scan_app(AppInput("bad", bad), tmp_path / "out", SETTINGS)
    assert row.status == "error"
    assert row.error == "member path leaving the archive refused: '../evil.py'"
    assert list(temp.iterdir()) == []


def test_the_temporary_folder_is_removed_when_the_scan_crashes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = _private_temp(tmp_path, monkeypatch)

    def crash(*args: object) -> None:
        assert len(list(temp.iterdir())) == 1  # unpacked, not yet removed
        raise RuntimeError("boom")

    monkeypatch.setattr(app_module, "run_workflow", crash)
    good = _zip(tmp_path / "good.zip", {"a.py": b"x = 1\n"})
    row = scan_app(AppInput("good", good), tmp_path / "out", SETTINGS)
    assert (row.status, row.error) == ("error", "internal error: RuntimeError: boom")
    assert list(temp.iterdir()) == []
