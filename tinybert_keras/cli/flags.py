"""Command-line flags generated from the settings declarations, and read back into settings.

A settings field `learning_rate` of a group becomes `--learning-rate` (in `run`, the fields of a
section `distill` become `--distill.temperature` ...), with the field's help, its kind's parser
and `--no-...` for booleans. Flags not given are absent from the parsed namespace, so the values
come from the defaults or the `--config` file unless a flag sets them, and every value goes
through the same dataclass checks as a config file.
"""

import argparse
import dataclasses

from tinybert_keras.config import kinds


def _argument_type(kind):
    def parse(text):
        try:
            return kind.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def flag_name(name, prefix=""):
    """The flag of a setting: `distill.temperature` -> `--distill.temperature`.

    Args:
        name: the field name.
        prefix: the section's name and a dot, or nothing.

    Returns:
        A string.

    Example:
    ```python
    flag_name("learning_rate", "finetune.")  # '--finetune.learning-rate'
    ```
    """
    return "--" + prefix + name.replace("_", "-")


def setting_flag(field, prefix=""):
    """The flag of a settings field: its name's, or its kind's `singular` name for a repeated one.

    Args:
        field: a `dataclasses.Field` declared with `setting()`.
        prefix: the section's name and a dot, or nothing.

    Returns:
        A string.

    Example:
    ```python
    from tinybert_keras.config import DataSettings
    setting_flag(DataSettings.__dataclass_fields__["text_columns"])  # '--text-column'
    ```
    """
    return flag_name(getattr(field.metadata["kind"], "singular", None) or field.name, prefix)


def _dest(name, prefix):
    return prefix.replace(".", "__") + name


def add_setting(parser, field, prefix="", bare=False, more_help=None):
    """Adds the flag of one settings field to a parser.

    Args:
        parser: an `argparse.ArgumentParser` (or group).
        field: a `dataclasses.Field` declared with `setting()`.
        prefix: the section's name and a dot (`"distill."`); `given` reads the value back under
            it.
        bare: leave the prefix out of the flag itself (a stage command's own section:
            `task-distill --temperature`).
        more_help: what the flag means in this command, added after the field's own help.

    Example:
    ```python
    add_setting(parser, dataclasses.fields(FinetuneSettings)[0])
    ```
    """
    kind = field.metadata["kind"]
    default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
    shown = {None: "none", True: "true", False: "false"}.get(default, default) if isinstance(
        default, (bool, type(None))) else default
    options = {"dest": _dest(field.name, prefix), "default": argparse.SUPPRESS,
               "help": " ".join(filter(None, (field.metadata["help"], more_help,
                                              f"Default: {shown}.")))}
    if isinstance(kind, kinds.Boolean):
        options["action"] = argparse.BooleanOptionalAction
    else:
        options["type"] = _argument_type(kind)
        options["metavar"] = kind.metavar or field.name.upper()
        if isinstance(kind, kinds.Options) or getattr(kind, "singular", None):
            options["action"] = "append"
        elif isinstance(kind, kinds.Several):
            options["nargs"] = "+"
        elif isinstance(kind, kinds.Choice):
            options["choices"] = (*kind.values, *([None] if kind.optional else []))
            options["metavar"] = "{" + ",".join(kind.values) + "}"
    parser.add_argument(setting_flag(field, "" if bare else prefix), **options)


def add_settings(parser, cls, prefix="", names=None, sections=False, bare=False):
    """Adds a flag for each setting of a settings class.

    Args:
        parser: an `argparse.ArgumentParser`.
        cls: a `Settings` subclass.
        prefix: a section prefix for every flag (`"distill."`).
        names: only these fields (default: all).
        sections: also add the fields of `cls`'s sections, as `--section.field` flags.
        bare: leave the prefix out of the flags (see `add_setting`).

    Example:
    ```python
    add_settings(parser, RecipeConfig, sections=True)
    ```
    """
    for field in dataclasses.fields(cls):
        if names is not None and field.name not in names:
            continue
        section = field.metadata.get("section")
        if section is None:
            add_setting(parser, field, prefix, bare)
        elif sections:
            group = parser.add_argument_group(f"{field.name} ({field.metadata['help']})")
            add_settings(group, section, prefix=f"{field.name}.")


def given(args, cls, prefix="", sections=False):
    """The settings of `cls` that flags set, as a (nested) dict ready to merge into a config.

    Args:
        args: the parsed `argparse.Namespace`.
        cls: a `Settings` subclass.
        prefix: the section prefix its flags carry.
        sections: also collect `cls`'s sections, as nested dicts.

    Returns:
        A dict from setting name to the flag's value (absent flags are absent).

    Example:
    ```python
    values = given(args, DistillSettings)
    ```
    """
    values = {}
    for field in dataclasses.fields(cls):
        section = field.metadata.get("section")
        if section is not None:
            if sections:
                inner = given(args, section, f"{field.name}.")
                if inner:
                    values[field.name] = inner
            continue
        dest = _dest(field.name, prefix)
        if not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        kind = field.metadata["kind"]
        if isinstance(kind, kinds.Options):
            value = dict(value)
        elif isinstance(kind, kinds.Several) and value == [None]:
            value = None
        values[field.name] = value
    return values


def merged(base, values):
    """A settings object with flag values laid over it, checked as a config file would be.

    Args:
        base: a `Settings` instance (the defaults, or the `--config` file's values).
        values: a nested dict from `given`.

    Returns:
        An instance of `type(base)`.

    Example:
    ```python
    merged(RecipeConfig(), {"batch_size": 16, "distill": {"temperature": 2.0}})
    ```
    """
    combined = base.to_dict()
    for field in dataclasses.fields(base):
        if field.name not in values:
            continue
        value = values[field.name]
        if "section" in field.metadata or isinstance(field.metadata["kind"], kinds.Options):
            value = {**combined[field.name], **value}
        combined[field.name] = value
    return type(base).from_dict(combined)
