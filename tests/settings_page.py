"""The settings tables of docs/settings.md, generated from the declarations (the prose is kept).

After changing a setting's default, help or `demo` value, rewrite the page's tables with
`PYTHONPATH=. python tests/settings_page.py --write`; `tests/test_settings_page.py` checks that
the committed page is what this generates.
"""

import argparse
import dataclasses
import difflib
import json
import pathlib
import re
import sys

from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

PAGE = pathlib.Path(__file__).parent.parent / "docs" / "settings.md"
AUGMENT_TITLE = "\n## Data augmentation: "
RECIPE_HEADER = "| setting | default (`paper`) | `demo` | help |\n|---|---|---|---|\n"
AUGMENT_HEADER = "| setting | default | help |\n|---|---|---|\n"
# A settings table: from its header line to the blank line (or the end) after it.
TABLE = r"\n\| setting \|.*?(?=\n\n|\Z)"


def shown(value):
    """A value as the page writes it: as in a config file, `none` for an unset one."""
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value)


def default(field):
    """A declared field's default value."""
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()


def value_at(config, path):
    """The value of a dotted setting path (`distill.temperature`) in a config."""
    for part in path.split("."):
        config = getattr(config, part)
    return config


def recipe_rows():
    """`{section: [table row, ...]}` of every `RecipeConfig` setting; `""` is the top level.
    The `demo` cell is bold where `demo` differs from the default."""
    demo = RecipeConfig.named("demo")
    sections = {}
    for path, field in leaves(RecipeConfig):
        value, demo_value = shown(default(field)), shown(value_at(demo, path))
        demo_cell = f"`{demo_value}`" if demo_value == value else f"**`{demo_value}`**"
        sections.setdefault(path.rpartition(".")[0], []).append(
            f"| `{path}` | `{value}` | {demo_cell} | {field.metadata['help']} |")
    return sections


def augment_rows():
    """The table rows of every `AugmentFileSettings` setting."""
    return [f"| `{field.name}` | `{shown(default(field))}` | {field.metadata['help']} |"
            for field in dataclasses.fields(AugmentFileSettings)]


def _table(header, rows):
    return "\n" + header + "\n".join(rows)


def generated(text):
    """`text` (the page) with each settings table written anew from the declarations; a
    `RecipeConfig` section the page has no `### ` heading for is added at the end of its part."""
    recipe_part, augment_part = text.split(AUGMENT_TITLE)
    sections = recipe_rows()
    chunks = re.split(r"(\n### [^\n]*\n)", recipe_part)
    parts = [chunks[0]]
    for title, body in zip(chunks[1::2], chunks[2::2]):
        section = "" if "(top level)" in title else re.search(r"`(\w+)`", title).group(1)
        parts += [title, re.sub(TABLE, lambda _: _table(RECIPE_HEADER, sections.pop(section)),
                                body, flags=re.S)]
    for section, rows in sections.items():
        description = RecipeConfig.__dataclass_fields__[section].metadata["help"]
        parts.append(f"\n### `{section}`: {description[0].lower()}{description[1:].rstrip('.')}"
                     f"\n{_table(RECIPE_HEADER, rows)}\n")
    augment_part = re.sub(TABLE, lambda _: _table(AUGMENT_HEADER, augment_rows()), augment_part,
                          flags=re.S)
    return "".join(parts).rstrip("\n") + "\n" + AUGMENT_TITLE + augment_part


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="rewrite docs/settings.md (else print how it differs and exit 1)")
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    new = generated(text)
    if args.write:
        PAGE.write_text(new, encoding="utf-8")
        return 0
    sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                               str(PAGE), "generated"))
    return int(new != text)


if __name__ == "__main__":
    sys.exit(main())
