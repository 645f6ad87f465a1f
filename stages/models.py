"""Argos Translate model packages: discover, install offline, fingerprint, route.

A package is a zip archive (`*.argosmodel`) of one folder holding `metadata.json`, a
CTranslate2 model in `model/` and a `sentencepiece.model` (or `bpe.model`). Installed
packages live where argostranslate looks for them (`ARGOS_PACKAGES_DIR`, else
`~/.local/share/argos-translate/packages`), so packages installed with `argospm` are
found too, and lexnorm-installed ones work with argostranslate itself.

`install()` never touches the network and refuses anything that is not a clean package,
with a `PackageError` that says why: not a zip, a damaged zip (bad CRC, truncated data,
unsupported compression or encryption), members with an empty name, escaping the target
folder (absolute paths, `..`, links) or named twice, more than `MAX_UNPACKED_BYTES` once
unpacked, more than one top-level folder, no or invalid metadata.json (not a JSON object,
a required field missing), no model or tokenizer. The archive's
SHA-256 is recorded next to the package (`lexnorm-install.json`) and is the model
fingerprint that the translation cache is keyed by.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath


INSTALL_RECORD = "lexnorm-install.json"
MAX_UNPACKED_BYTES = 8 * 1024**3  # a zip bomb guard far above any real translation model
MAX_METADATA_BYTES = 1024**2  # metadata.json is read into memory: a few hundred bytes in practice
TOKENIZER_FILES = ("sentencepiece.model", "bpe.model")
# What zipfile raises on a damaged archive when it reads a member: a bad CRC or a bad
# header (BadZipFile), broken deflate data (zlib.error), data cut short (EOFError), a seek
# outside the file (OSError), an unknown compression method (NotImplementedError), an
# encrypted member (RuntimeError).
DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


class PackageError(ValueError):
    """The archive is not an installable Argos package; the message says why."""


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """An installed Argos translation package."""

    path: Path
    code: str  # "translate-zh_en"
    from_code: str
    to_code: str
    version: str
    archive_sha256: str | None  # recorded when lexnorm installed it

    @property
    def engine(self) -> str:
        """How `translation_engine` names this model: `argos:translate-zh_en-1.9`."""
        return f"argos:{self.code}-{self.version}"

    @property
    def pair(self) -> str:
        return f"{self.from_code}->{self.to_code}"


def packages_dir() -> Path:
    """Where argostranslate keeps installed packages (honours ARGOS_PACKAGES_DIR)."""
    from argostranslate import settings

    return Path(settings.package_data_dir)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _from_folder(folder: Path) -> ModelPackage:
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    record = folder / INSTALL_RECORD
    sha = json.loads(record.read_text(encoding="utf-8")).get("archive_sha256") if record.exists() else None
    from_code, to_code = meta["from_code"], meta["to_code"]
    return ModelPackage(
        path=folder,
        code=meta.get("code") or f"translate-{from_code}_{to_code}",
        from_code=from_code,
        to_code=to_code,
        version=str(meta.get("package_version", "")) or "0",
        archive_sha256=sha,
    )


def installed_packages(directories: list[Path] | None = None) -> list[ModelPackage]:
    """Installed translation packages, as argostranslate finds them (sorted by path)."""
    from argostranslate import package, settings

    dirs = directories if directories is not None else [Path(d) for d in settings.package_dirs]
    found = []
    for pkg in package.get_installed_packages([d for d in dirs if Path(d).is_dir()]):
        if getattr(pkg, "type", "translate") != "translate" or not pkg.from_code or not pkg.to_code:
            continue
        if not (pkg.package_path / "model").is_dir():
            continue
        found.append(_from_folder(pkg.package_path))
    return sorted(found, key=lambda p: str(p.path))


def fingerprint(pkg: ModelPackage) -> str:
    """A stable identity of the model's bytes: the archive SHA-256 when lexnorm installed it,
    else a SHA-256 over metadata, tokenizer and model files (e.g. packages from argospm)."""
    if pkg.archive_sha256:
        return pkg.archive_sha256
    digest = hashlib.sha256()
    files = [pkg.path / "metadata.json", *(pkg.path / t for t in TOKENIZER_FILES), *sorted((pkg.path / "model").rglob("*"))]
    for f in files:
        if f.is_file():
            digest.update(f.relative_to(pkg.path).as_posix().encode() + b"\0" + _sha256(f).encode())
    return digest.hexdigest()


def route(source: str, packages: list[ModelPackage], target: str = "en") -> list[ModelPackage] | None:
    """The packages that take `source` to `target`: a direct pair, else two pairs through a
    third language (e.g. fr->de->en). None when nothing installed can do it."""
    direct = [p for p in packages if p.from_code == source and p.to_code == target]
    if direct:
        return [direct[0]]
    for first in packages:
        if first.from_code != source:
            continue
        second = next((p for p in packages if p.from_code == first.to_code and p.to_code == target), None)
        if second is not None:
            return [first, second]
    return None


def _check_archive(zf: zipfile.ZipFile, size: int) -> str:
    """Validate members (`size`: the archive's bytes); return the single top-level folder name."""
    tops = set()
    seen: set[PurePosixPath] = set()
    total = 0
    for info in zf.infolist():
        name = info.filename
        path = PurePosixPath(name)
        if not path.parts:  # "", ".", "./": nothing to write, and no folder to write it in
            raise PackageError(f"refused: member {name!r} has an empty name")
        if name.startswith("/") or "\\" in name or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
            raise PackageError(f"refused: member {name!r} would be written outside the package folder")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackageError(f"refused: member {name!r} is a symbolic link")
        if not 0 <= info.header_offset < size:  # bytes cut out of the archive, or a forged directory
            raise PackageError(f"refused: damaged zip archive, member {name!r} lies outside the file")
        if path in seen:  # which of the two would be installed depends on the unpacker
            raise PackageError(f"refused: member {name!r} appears twice in the archive")
        seen.add(path)
        total += info.file_size  # zipfile never unpacks more than a member declares
        tops.add(path.parts[0])
    if total > MAX_UNPACKED_BYTES:
        raise PackageError(f"refused: unpacks to {total / 1e9:.1f} GB (at most {MAX_UNPACKED_BYTES / 1e9:.1f} GB)")
    if len(tops) != 1:
        raise PackageError(f"not an Argos package: expected one top-level folder, found {sorted(tops)[:5]}")
    return tops.pop()


def _check_metadata(zf: zipfile.ZipFile, top: str) -> dict:
    try:
        info = zf.getinfo(f"{top}/metadata.json")
    except KeyError:
        raise PackageError(f"not an Argos package: no {top}/metadata.json") from None
    if info.file_size > MAX_METADATA_BYTES:
        raise PackageError(f"refused: metadata.json is {info.file_size} bytes (at most {MAX_METADATA_BYTES})")
    try:
        meta = json.loads(zf.read(info))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"not an Argos package: metadata.json is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise PackageError(f"not an Argos package: metadata.json holds a JSON {type(meta).__name__}, not an object")
    missing = [k for k in ("from_code", "to_code", "package_version") if not isinstance(meta.get(k), str) or not meta[k]]
    if missing:
        raise PackageError(f"not an Argos package: metadata.json lacks {', '.join(missing)}")
    if not isinstance(meta.get("code", ""), str):
        raise PackageError("not an Argos package: metadata.json's code is not a string")
    names = set(zf.namelist())
    if not any(n.startswith(f"{top}/model/") and n.endswith("model.bin") for n in names):
        raise PackageError("not an Argos package: no CTranslate2 model (model/model.bin)")
    if not any(f"{top}/{t}" in names for t in TOKENIZER_FILES):
        raise PackageError("not an Argos package: no sentencepiece.model or bpe.model")
    return meta


def _installed_sha(folder: Path) -> str | None:
    """The archive SHA-256 lexnorm recorded for an installed package, if it can be read
    (a damaged installation is simply replaced)."""
    try:
        return json.loads((folder / INSTALL_RECORD).read_text(encoding="utf-8")).get("archive_sha256")
    except (OSError, ValueError, AttributeError):
        return None


def install(archive: Path, target: Path | None = None) -> ModelPackage:
    """Install an `.argosmodel` archive offline into `target` (default: argostranslate's
    package folder). Re-installing the same archive is a no-op; a different archive with
    the same folder name replaces the installed one atomically. Anything that goes wrong
    is a `PackageError` (damaged archive, unwritable target): the installed packages are
    as they were."""
    archive = Path(archive)
    if not archive.is_file():
        raise PackageError(f"no such file: {archive}")
    if not zipfile.is_zipfile(archive):
        raise PackageError(f"not an Argos package: {archive.name} is not a zip archive")
    target = Path(target) if target is not None else packages_dir()
    try:
        return _install(archive, target)
    except DAMAGED_ZIP as exc:
        raise PackageError(f"refused: {archive.name} is a damaged zip archive ({type(exc).__name__}: {exc})") from None
    except OSError as exc:  # a seek outside a truncated archive, or the target cannot be written
        raise PackageError(f"cannot install {archive.name} into {target}: {exc}") from None


def _install(archive: Path, target: Path) -> ModelPackage:
    sha = _sha256(archive)
    with zipfile.ZipFile(archive) as zf:
        top = _check_archive(zf, archive.stat().st_size)
        meta = _check_metadata(zf, top)
        target.mkdir(parents=True, exist_ok=True)
        final = target / top
        if _installed_sha(final) == sha:
            return _from_folder(final)
        staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=target))
        try:
            zf.extractall(staging)
            record = {
                "archive_sha256": sha,
                "archive": str(archive.resolve()),
                "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "from_code": meta["from_code"],
                "to_code": meta["to_code"],
                "package_version": meta["package_version"],
            }
            (staging / top / INSTALL_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
            old = None
            if final.exists():
                old = target / f".replaced-{top}-{os.getpid()}"
                os.replace(final, old)
            os.replace(staging / top, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return _from_folder(final)
