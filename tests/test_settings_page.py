"""docs/settings.md lists every setting with its declared default and help, and `demo`'s value."""

import dataclasses
import json
import pathlib

import pytest

from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

PAGE = pathlib.Path(__file__).parent.parent / "docs" / "settings.md"
RECIPE_PART, AUGMENT_PART = PAGE.read_text(encoding="utf-8").split(
    "\n## Data augmentation: `AugmentFileSettings`\n")


def shown(value):
    """A value as the page writes it: as in a config file, `none` for an unset one."""
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value)


def table(text, columns):
    """The rows of the settings tables in a part of the page: setting -> its other cells."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            assert len(cells) == columns, line
            name, *values = [cell.strip("*`") if i < columns - 1 else cell
                             for i, cell in enumerate(cells)]
            assert name not in rows, f"{name} is listed twice"
            rows[name] = values
    return rows


def default(field):
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()


def value_at(config, path):
    for part in path.split("."):
        config = getattr(config, part)
    return config


def test_every_recipe_setting_with_its_default_demo_value_and_help():
    rows = table(RECIPE_PART, 4)
    declared = dict(leaves(RecipeConfig))
    assert sorted(rows) == sorted(declared), "the page and the declarations list other settings"
    demo = RecipeConfig.named("demo")
    for path, field in declared.items():
        page_default, page_demo, page_help = rows[path]
        assert page_default == shown(default(field)), path
        assert page_default == shown(value_at(RecipeConfig.named("paper"), path)), path
        assert page_demo == shown(value_at(demo, path)), path
        assert page_help == field.metadata["help"], path


def test_every_augment_setting_with_its_default_and_help():
    rows = table(AUGMENT_PART, 3)
    fields = {field.name: field for field in dataclasses.fields(AugmentFileSettings)}
    assert sorted(rows) == sorted(fields)
    for name, field in fields.items():
        assert rows[name] == [shown(default(field)), field.metadata["help"]], name


@pytest.mark.parametrize("cell, value", [("`none`", None), ("**`0.001`**", 1e-3)])
def test_the_check_reads_what_it_compares(cell, value):
    rows = table(f"| `x` | `1` | {cell} | help |", 4)
    assert rows["x"][1] == shown(value)


def test_the_page_is_in_the_navigation():
    nav = (PAGE.parent.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "settings.md" in nav
