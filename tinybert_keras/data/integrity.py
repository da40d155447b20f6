"""Files written whole, and files checked before they are reused.

A kill, a full disk or a power cut during a write must never leave a half-written file where a
later run reads it. Every file the package keeps for later is written under a temporary name
beside its place, flushed to disk, and moved into place with `os.replace`, which is atomic: a
reader sees the old file or the new one, never a part. What is reused later (a finished stage's
preset, files extracted from a registry wheel, a cached model) is recorded at write time by size
and sha256 and compared again before it is used.
"""

import contextlib
import datetime
import functools
import hashlib
import json
import os
import pathlib
import shutil
import socket

try:
    import fcntl
except ImportError:  # Windows: nothing is locked there.
    fcntl = None


def sha256_of(path):
    """The sha256 of a file's bytes, as hex.

    A file already read in this process and unchanged since (same size and modification time)
    is not read again: run identities hash whole presets, and a stage asks for them repeatedly.

    Args:
        path: the file.

    Returns:
        A 64-character string.

    Example:
    ```python
    sha256_of("runs/teacher/preset/model.weights.h5")
    ```
    """
    stat = os.stat(path)
    return _content_sha256(os.path.realpath(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _content_sha256(path, size, mtime_ns):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sync(path):
    """Flushes a file, or every file of a folder, from the OS's cache to the disk.

    Args:
        path: a file or a folder.

    Example:
    ```python
    sync("runs/teacher/history.csv")
    ```
    """
    path = pathlib.Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())


@contextlib.contextmanager
def replacing(path):
    """Writes a file or a folder under a temporary name, then moves it into place at once.

    The temporary path sits beside `path` and ends with `path`'s own name, so writers that
    check suffixes (`save_weights` wants `.weights.h5`) accept it. When the block ends normally,
    its content is flushed to disk and replaces `path` (a folder replaces an old folder of the
    same name); when the block raises, the temporary is removed and `path` is left as it was.

    Args:
        path: the file or folder to write.

    Yields:
        The temporary `pathlib.Path` to write to.

    Example:
    ```python
    with replacing("runs/task/intermediate/student.weights.h5") as partial:
        student.save_weights(str(partial))
    ```
    """
    path = pathlib.Path(path)
    partial = path.with_name(f".partial-{os.getpid()}-{path.name}")
    _remove(partial)
    try:
        yield partial
        sync(partial)
        if partial.is_dir():
            # A folder cannot replace a non-empty folder in one step; a kill between the two
            # leaves no folder, which the stages treat as not yet written.
            _remove(path)
        os.replace(partial, path)
    finally:
        _remove(partial)


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_text(path, text):
    """Writes a text file atomically (see `replacing`).

    Args:
        path: the file.
        text: its whole content.

    Example:
    ```python
    write_text("summary.json", json.dumps({"accuracy": 0.81}))
    ```
    """
    with replacing(path) as partial:
        partial.write_text(text, encoding="utf-8")


def write_json(path, value):
    """Writes a JSON file atomically (see `replacing`), indented, with a final newline.

    Args:
        path: the file.
        value: a JSON-ready value.

    Example:
    ```python
    write_json("result.json", {"seed": 0, "accuracy": 0.81})
    ```
    """
    write_text(path, json.dumps(value, indent=2) + "\n")


def settings_key(value):
    """The sha256 of a JSON-ready value with sorted keys: a cache or run identity that does not
    depend on the order the settings were given in.

    Args:
        value: a JSON-ready value (a settings dict, or a list of them).

    Returns:
        A hex string of 64 characters; callers name folders by a prefix of it.

    Example:
    ```python
    settings_key({"epochs": 3, "learning_rate": 1e-4})[:16]
    ```
    """
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def record(path):
    """The size and sha256 of every file under `path` (or of `path` itself, a file).

    Args:
        path: a file or a folder.

    Returns:
        A dict from each file's path relative to `path` (`"."` for a file) to
        `{"size": bytes, "sha256": hex}`.

    Example:
    ```python
    record("runs/teacher/preset")["model.weights.h5"]["size"]
    ```
    """
    path = pathlib.Path(path)
    if not path.is_dir():
        return {".": {"size": path.stat().st_size, "sha256": sha256_of(path)}}
    return {
        file.relative_to(path).as_posix(): {"size": file.stat().st_size, "sha256": sha256_of(file)}
        for file in sorted(p for p in path.rglob("*") if p.is_file())
    }


def differences(path, expected):
    """How the files under `path` differ from a `record` taken when they were written.

    Files added since are not counted: only what was recorded is read later.

    Args:
        path: a file or a folder.
        expected: what `record(path)` returned at write time.

    Returns:
        A list of strings, one per missing or changed file (empty when all match).

    Example:
    ```python
    differences("reviews", record("reviews"))  # []
    ```
    """
    path = pathlib.Path(path)
    problems = []
    for name, wanted in expected.items():
        file = path if name == "." else path / name
        if not file.is_file():
            problems.append(f"{file} is missing")
            continue
        size = file.stat().st_size
        if size != wanted["size"]:
            problems.append(f"{file} has {size} bytes instead of {wanted['size']}")
        elif sha256_of(file) != wanted["sha256"]:
            problems.append(f"{file} has other content (its sha256 changed)")
    return problems


def manifest_path(path):
    """Where `write_manifest` keeps the record of a file or folder: beside it, never inside.

    Args:
        path: the recorded file or folder.

    Returns:
        `<path>.sha256.json`.

    Example:
    ```python
    manifest_path("reviews")  # PosixPath('reviews.sha256.json')
    ```
    """
    path = pathlib.Path(path)
    return path.with_name(path.name + ".sha256.json")


def write_manifest(path, files=None):
    """Records a file or folder (size and sha256 of each file) beside it, atomically.

    Args:
        path: the file or folder.
        files: the record to keep, if known already; `None` takes `record(path)`.

    Example:
    ```python
    write_manifest("reviews")
    ```
    """
    write_text(manifest_path(path), json.dumps(record(path) if files is None else files) + "\n")


def read_manifest(path):
    """The record `write_manifest` kept for `path`, or `None` if there is none (or it is
    unreadable, which a reader treats the same: nothing to compare with).

    Args:
        path: the recorded file or folder.

    Returns:
        A dict as `record` returns, or `None`.

    Example:
    ```python
    read_manifest("reviews")
    ```
    """
    try:
        return json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def exclusive(lock_path, in_use):
    """Holds an advisory lock on a file while a block runs, and refuses to wait for another holder.

    The lock file names its holder (process, host, start time) while it is held; the operating
    system releases the lock when the process ends, even when it is killed.

    Args:
        lock_path: the lock file (created if missing; it stays, empty, after the block).
        in_use: a function from the holder's description to the exception to raise when another
            process holds the lock.

    Example:
    ```python
    with exclusive("runs.lock", lambda holder: RuntimeError(f"runs is in use by {holder}")):
        pass
    ```
    """
    if fcntl is None:
        yield
        return
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            raise in_use(handle.read().strip() or "another process") from None
        started = datetime.datetime.now().isoformat(timespec="seconds")
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}, since {started}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
