"""Files written whole, and extracted cache files checked before they are reused."""

import re
import shutil
import zipfile

import pytest

from tinybert_keras.data import DataError
from tinybert_keras.data import integrity
from tinybert_keras.data import registry

FILES = {"fakepkg/data/a.txt": b"alpha", "fakepkg/model/w.bin": bytes(100),
         "fakepkg/model/config.json": b"{}"}


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A pinned wheel already in an empty cache (no download), as `fetch_wheel` leaves it."""
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    wheel = wheels / "fakepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(name, data)
    monkeypatch.setenv(registry.CACHE_ENV, str(tmp_path / "cache"))
    return registry.RegistryPackage("fakepkg", "1.0", integrity.sha256_of(wheel))


def test_an_extracted_file_that_changed_names_itself_and_what_to_delete(package):
    folder = registry.fetch_package_file(package, "fakepkg/model/")
    assert (folder / "w.bin").read_bytes() == bytes(100)
    assert integrity.read_manifest(folder)["w.bin"]["size"] == 100
    with open(folder / "w.bin", "r+b") as file:
        file.truncate(40)
    with pytest.raises(DataError, match=rf"w.bin has 40 bytes instead of 100, since it was "
                                        rf"extracted from fakepkg==1.0. Delete "
                                        rf"{re.escape(str(folder))}"):
        registry.fetch_package_file(package, "fakepkg/model/")
    (folder / "w.bin").write_bytes(b"x" * 100)
    with pytest.raises(DataError, match="w.bin has other content"):
        registry.fetch_package_file(package, "fakepkg/model/")
    shutil.rmtree(folder)  # what the message asks for
    assert registry.fetch_package_file(package, "fakepkg/model/") == folder
    assert (folder / "w.bin").read_bytes() == bytes(100)


def test_files_extracted_before_records_were_kept_are_checked_against_the_wheel(package):
    path = registry.fetch_package_file(package, "fakepkg/data/a.txt")
    integrity.manifest_path(path).unlink()
    assert registry.fetch_package_file(package, "fakepkg/data/a.txt") == path
    assert integrity.read_manifest(path) == integrity.record(path)
    integrity.manifest_path(path).unlink()
    path.write_bytes(b"omega")
    with pytest.raises(DataError, match="a.txt has other content"):
        registry.fetch_package_file(package, "fakepkg/data/a.txt")


def test_replacing_leaves_the_old_file_when_the_write_fails(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with integrity.replacing(target) as partial:
            partial.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["summary.json"]
    integrity.write_text(target, "new")
    assert target.read_text() == "new"
