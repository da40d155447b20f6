"""docs/settings.md lists every setting with its declared default and help, and `demo`'s value:
its tables are what `tests/settings_page.py` generates from the declarations."""

import dataclasses
import re

import settings_page
from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

PAGE = settings_page.PAGE


def test_the_tables_are_generated_from_the_declarations():
    text = PAGE.read_text(encoding="utf-8")
    assert settings_page.generated(text) == text, (
        "docs/settings.md is out of date: run `PYTHONPATH=. python tests/settings_page.py "
        "--write` (prints the difference without --write)")


def test_every_setting_has_one_row():
    recipe_part, augment_part = PAGE.read_text(encoding="utf-8").split(settings_page.AUGMENT_TITLE)
    listed = re.findall(r"^\| `([\w.]+)` \| `[^\n]*\|$", recipe_part, re.M)
    assert sorted(listed) == sorted(path for path, _ in leaves(RecipeConfig))
    listed = re.findall(r"^\| `(\w+)` \| `[^\n]*\|$", augment_part, re.M)
    assert sorted(listed) == sorted(field.name for field in dataclasses.fields(AugmentFileSettings))


def test_a_stale_row_is_rewritten_and_a_demo_value_other_than_the_default_is_bold():
    text = PAGE.read_text(encoding="utf-8")
    assert "| `task` | `none` | **`rotten_tomatoes`** |" in text
    assert "| `batch_size` | `32` | `32` |" in text
    stale = text.replace("| `batch_size` | `32` | `32` |", "| `batch_size` | `16` | `32` |")
    assert stale != text and settings_page.generated(stale) == text


def test_the_page_is_in_the_navigation():
    nav = (PAGE.parent.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "settings.md" in nav
