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
    assert not any((tmp_path / "packages").iterdir())


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
