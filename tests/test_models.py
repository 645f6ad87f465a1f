"""Installing and finding Argos packages, offline (the package is a noise fixture)."""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import SEEDS
from lexnorm.cli import main as cli
from stages.models import INSTALL_RECORD, PackageError, fingerprint, install, installed_packages, route


def test_install_checks_records_sha_and_is_found(tmp_path, noise_archive, no_network):
    pkg = install(noise_archive, tmp_path)
    assert (pkg.from_code, pkg.to_code) == ("zh", "en")
    record = json.loads((pkg.path / INSTALL_RECORD).read_text())
    import hashlib

    assert record["archive_sha256"] == hashlib.sha256(noise_archive.read_bytes()).hexdigest()
    assert fingerprint(pkg) == record["archive_sha256"]
    assert installed_packages([tmp_path]) == [pkg]
    assert pkg.engine == "argos:translate-zh_en-noise-fixture-0.0"
    assert install(noise_archive, tmp_path) == pkg  # same archive again: nothing to do
    assert not no_network


def _archive(tmp_path, members: dict[str, bytes], name="bad.argosmodel"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


META = json.dumps({"from_code": "zh", "to_code": "en", "package_version": "1.0"}).encode()


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"pkg/metadata.json": META, "../evil.txt": b"x"}, "outside the package folder"),
        ({"pkg/metadata.json": META, "/etc/evil": b"x"}, "outside the package folder"),
        ({"pkg/model/model.bin": b"x", "pkg/sentencepiece.model": b"x"}, "no pkg/metadata.json"),
        ({"pkg/metadata.json": b"{not json", "pkg/model/model.bin": b"x"}, "not valid JSON"),
        ({"pkg/metadata.json": b'{"from_code": "zh"}', "pkg/model/model.bin": b"x"}, "lacks to_code"),
        ({"pkg/metadata.json": META, "pkg/sentencepiece.model": b"x"}, "no CTranslate2 model"),
        ({"pkg/metadata.json": META, "pkg/model/model.bin": b"x"}, "no sentencepiece.model"),
        ({"a/metadata.json": META, "b/model/model.bin": b"x"}, "one top-level folder"),
    ],
)
def test_install_refuses_bad_archives(tmp_path, members, reason):
    with pytest.raises(PackageError, match=reason):
        install(_archive(tmp_path, members), tmp_path / "packages")
    assert not (tmp_path / "packages").exists()  # refused before anything is written


def test_install_refuses_a_symlink_member(tmp_path):
    path = tmp_path / "link.argosmodel"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("pkg/model/model.bin")
        info.external_attr = (0o120777 << 16)  # a symbolic link
        zf.writestr(info, "/etc/passwd")
        zf.writestr("pkg/metadata.json", META)
    with pytest.raises(PackageError, match="symbolic link"):
        install(path, tmp_path / "packages")


def test_install_refuses_what_is_not_a_zip(tmp_path):
    fake = tmp_path / "fake.argosmodel"
    fake.write_text("not a zip")
    with pytest.raises(PackageError, match="not a zip archive"):
        install(fake, tmp_path)


def test_argos_packages_dir_is_where_packages_are_found(monkeypatch, tmp_path, noise_archive):
    """A package placed where argostranslate looks (as argospm would) is found."""
    from argostranslate import settings

    install(noise_archive, tmp_path)
    monkeypatch.setattr(settings, "package_dirs", [tmp_path])
    assert [p.pair for p in installed_packages()] == ["zh->en"]


def test_route_direct_and_through_a_third_language(tmp_path, noise_archive):
    from lexnorm.testing import build_noise_package

    texts = [SEEDS["000"].read_text(encoding="utf-8")]
    install(build_noise_package(tmp_path / "a", texts, "fr", "de"), tmp_path / "p")
    install(build_noise_package(tmp_path / "b", texts, "de", "en"), tmp_path / "p")
    packages = installed_packages([tmp_path / "p"])
    assert [p.pair for p in route("fr", packages)] == ["fr->de", "de->en"]
    assert [p.pair for p in route("de", packages)] == ["de->en"]
    assert route("ja", packages) is None


def test_models_cli(tmp_path, noise_archive, capsys):
    assert cli(["models", "install", str(noise_archive), "--target", str(tmp_path)]) == 0
    assert "installed zh->en" in capsys.readouterr().out
    assert cli(["models", "list", "--target", str(tmp_path)]) == 0
    assert "argos:translate-zh_en-noise-fixture-0.0" in capsys.readouterr().out
    bad = tmp_path / "x.argosmodel"
    bad.write_text("nope")
    assert cli(["models", "install", str(bad), "--target", str(tmp_path)]) == 2


# ----------------------------------------------------- damaged and hostile archives (CLI)

GOOD = {"pkg/metadata.json": META, "pkg/model/model.bin": b"m" * 4000, "pkg/sentencepiece.model": b"s"}


def _raw_archive(path, members: list[tuple[str, bytes]], compression=zipfile.ZIP_STORED):
    """Members written as given, names zipfile's writer refuses (an empty one) included."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members:
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # writestr refuses "", open(..., "w") does not
            info.compress_type = compression
            with zf.open(info, "w") as fh:
                fh.write(data)
    return path


def _patch_member(path, member: str, local: int, central: int, value: int) -> None:
    """Set a 2-byte field of `member`'s local header (offset `local`) and of its central
    directory entry (offset `central`)."""
    import struct

    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    struct.pack_into("<H", data, info.header_offset + local, value)
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(member)] != member.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<H", data, entry + central, value)
    path.write_bytes(bytes(data))


def _flip(path, needle: bytes, at: int = 5) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(needle) + at] ^= 0xFF
    path.write_bytes(bytes(data))


def _cut(path, needle: bytes, n: int = 500) -> None:
    """Bytes cut out of the middle of a member's data; the central directory stays."""
    data = path.read_bytes()
    i = data.index(needle) + 100
    path.write_bytes(data[:i] + data[i + n :])


def _damaged(kind: str, path):
    members = list(GOOD.items())
    if kind == "empty name":
        return _raw_archive(path, [*members, ("", b"x")])
    if kind == "dot name":
        return _raw_archive(path, [*members, ("./", b"")])
    if kind == "duplicate":
        return _raw_archive(path, [*members, ("pkg/./model/model.bin", b"other")])
    if kind == "metadata list":
        return _raw_archive(path, [("pkg/metadata.json", b'["zh", "en"]'), *members[1:]])
    if kind == "metadata code":
        meta = json.dumps({"from_code": "zh", "to_code": "en", "package_version": "1", "code": ["x"]}).encode()
        return _raw_archive(path, [("pkg/metadata.json", meta), *members[1:]])
    _raw_archive(path, members, zipfile.ZIP_DEFLATED if kind == "bad deflate" else zipfile.ZIP_STORED)
    if kind == "bad crc":
        _flip(path, GOOD["pkg/model/model.bin"])
    elif kind == "bad crc metadata":
        _flip(path, META)
    elif kind == "truncated":
        _cut(path, GOOD["pkg/model/model.bin"])
    elif kind == "bad deflate":
        info = zipfile.ZipFile(path).getinfo("pkg/model/model.bin")
        data = bytearray(path.read_bytes())
        start = info.header_offset + 30 + len(info.filename)
        data[start : start + info.compress_size] = bytes(info.compress_size)
        path.write_bytes(bytes(data))
    elif kind == "unknown compression":
        _patch_member(path, "pkg/model/model.bin", 8, 10, 99)
    elif kind == "encrypted":
        _patch_member(path, "pkg/model/model.bin", 6, 8, 1)
    return path


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("empty name", "empty name"),
        ("dot name", "empty name"),
        ("duplicate", "appears twice"),
        ("metadata list", "JSON list, not an object"),
        ("metadata code", "code is not a string"),
        ("bad crc", "damaged zip archive.*Bad CRC-32"),
        ("bad crc metadata", "damaged zip archive.*Bad CRC-32"),
        ("truncated", "damaged zip archive"),
        ("bad deflate", "damaged zip archive"),
        ("unknown compression", "damaged zip archive.*compression"),
        ("encrypted", "damaged zip archive.*encrypted"),
    ],
)
def test_models_install_refuses_damaged_archives_with_a_message(tmp_path, capsys, kind, reason):
    """Each one printed a traceback (exit 1) or was installed; now a one-line refusal, exit 2,
    and the package folder is as it was."""
    import re

    archive = _damaged(kind, tmp_path / "bad.argosmodel")
    target = tmp_path / "packages"
    assert cli(["models", "install", str(archive), "--target", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lexnorm: ") and re.search(reason, err) and "Traceback" not in err
    assert not target.exists() or not any(target.iterdir())


def test_install_refuses_an_archive_that_unpacks_too_large(tmp_path, monkeypatch):
    import stages.models

    monkeypatch.setattr(stages.models, "MAX_UNPACKED_BYTES", 3000)
    with pytest.raises(PackageError, match="unpacks to"):
        install(_raw_archive(tmp_path / "big.argosmodel", list(GOOD.items())), tmp_path / "packages")


def test_a_damaged_installation_is_replaced_by_a_reinstall(tmp_path, noise_archive):
    pkg = install(noise_archive, tmp_path)
    (pkg.path / INSTALL_RECORD).write_text("[garbage")
    assert install(noise_archive, tmp_path).archive_sha256 == pkg.archive_sha256


def test_install_into_an_unwritable_folder_is_a_refusal(tmp_path, noise_archive):
    target = tmp_path / "file-not-folder"
    target.write_text("x")
    with pytest.raises(PackageError, match="cannot install"):
        install(noise_archive, target)
