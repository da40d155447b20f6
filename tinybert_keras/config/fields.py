"""How a setting is declared: its default, kind (type, check, command-line parsing) and help.

Every setting of the package is a field of a frozen dataclass built with `setting()` and a kind
(`tinybert_keras.config.kinds`). The
dataclass checks each value on construction (`Settings.__post_init__`), YAML/JSON files and the
command line both go through that constructor, and the command line's flags are generated from
the fields' kinds and help. So a setting's default, type and help are written once.
"""

import copy
import dataclasses
import difflib

from tinybert_keras.config.kinds import ConfigError


def setting(default, help, kind):
    """Declares one setting: a dataclass field that carries its kind and help.

    Args:
        default: the default value (copied for lists and dicts).
        help: one line for the command line's help and the docs.
        kind: a `Kind` that checks values and parses flags.

    Returns:
        A `dataclasses.field`.

    Example:
    ```python
    from tinybert_keras.config.kinds import Number

    @dataclasses.dataclass(frozen=True)
    class Example(Settings):
        epochs: float = setting(3.0, "Passes over the data.", Number(minimum=0))
    Example(epochs=2).epochs  # 2
    ```
    """
    metadata = {"help": help, "kind": kind}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default),
                                 metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def section(cls, help):
    """Declares a nested group of settings (one stage's) inside a larger settings class.

    Args:
        cls: the `Settings` subclass of the group; its defaults are the group's.
        help: one line on what the group configures.

    Returns:
        A `dataclasses.field`.

    Example:
    ```python
    @dataclasses.dataclass(frozen=True)
    class Outer(Settings):
        inner: Settings = section(Settings, "Nothing inside.")
    ```
    """
    return dataclasses.field(default_factory=cls, metadata={"help": help, "section": cls})


@dataclasses.dataclass(frozen=True)
class Settings:
    """A frozen group of settings whose values are checked when it is built.

    Example:
    ```python
    settings = Settings()
    settings.to_dict()  # {}
    ```
    """

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if "section" in field.metadata:
                cls = field.metadata["section"]
                if isinstance(value, dict):
                    value = cls.from_dict(value, where=f"{field.name}.")
                elif not isinstance(value, cls):
                    raise ConfigError(
                        f"{field.name} must be a mapping of {cls.__name__} settings; got "
                        f"{value!r}."
                    )
            elif "kind" in field.metadata:
                value = field.metadata["kind"].check(field.name, value)
            object.__setattr__(self, field.name, value)
        self.check_together()

    def check_together(self):
        """Checks settings that constrain each other; raises `ConfigError`. None by default."""

    @classmethod
    def names(cls):
        """The names of this class's settings, in declaration order."""
        return [field.name for field in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values, where=""):
        """Builds the settings from a mapping, refusing unknown names with a suggestion.

        Args:
            values: a mapping from setting name to value (nested mappings for sections).
            where: a prefix for error messages (the enclosing section, e.g. `"distill."`).

        Returns:
            An instance of `cls`.

        Example:
        ```python
        from tinybert_keras.config import FinetuneSettings
        FinetuneSettings.from_dict({"epochs": 1.0})
        ```
        """
        if not isinstance(values, dict):
            raise ConfigError(
                f"{where or cls.__name__} must be a mapping of settings; got "
                f"{type(values).__name__}."
            )
        for key in values:
            if key not in cls.names():
                raise cls.unknown(key, where)
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{where}{error}") from None

    @classmethod
    def unknown(cls, key, where=""):
        """The error for a name this class does not declare, with a hint (see `unknown_setting`).

        Args:
            key: the unknown name.
            where: the enclosing section's prefix for the message (`"distill."`).

        Returns:
            A `ConfigError`, to raise.

        Example:
        ```python
        from tinybert_keras.config import FinetuneSettings
        str(FinetuneSettings.unknown("epoch"))  # "Unknown setting 'epoch'. Did you mean 'epochs'?"
        ```
        """
        sections = {field.name: field.metadata["section"] for field in dataclasses.fields(cls)
                    if "section" in field.metadata}
        return unknown_setting(key, cls.names(), where, sections)

    def replace(self, **changes):
        """A copy with some settings changed (and checked).

        Args:
            **changes: settings by name.

        Returns:
            A new instance.

        Example:
        ```python
        from tinybert_keras.config import FinetuneSettings
        FinetuneSettings().replace(epochs=1.0).epochs  # 1.0
        ```
        """
        for key in changes:
            if key not in self.names():
                raise self.unknown(key)
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        """The settings as a plain, JSON- and YAML-ready dict (sections nested)."""
        return dataclasses.asdict(self)


def unknown_setting(key, known, where="", sections=None):
    """The error for a setting name nothing declares: the closest known name, the section that
    declares it, or the known names.

    Args:
        key: the unknown name.
        known: the names that are declared where it was given.
        where: the enclosing section's prefix for the message (`"distill."`).
        sections: optional dict from section name to its `Settings` class, to say in which
            section a misplaced name belongs.

    Returns:
        A `ConfigError`, to raise.

    Example:
    ```python
    str(unknown_setting("batchsize", ["batch_size", "seed"]))
    # "Unknown setting 'batchsize'. Did you mean 'batch_size'?"
    ```
    """
    close = difflib.get_close_matches(key, known, n=1)
    owner = next((section for section, cls in (sections or {}).items() if key in cls.names()),
                 None)
    if close:
        hint = f" Did you mean {close[0]!r}?"
    elif owner is not None:
        hint = f" It belongs to the {owner!r} section: {owner}: {{{key}: ...}}."
    else:
        hint = f" Known settings: {list(known)}."
    return ConfigError(f"Unknown setting {where + key!r}.{hint}")


def leaves(cls, prefix=""):
    """Every setting of a settings class, its sections' included, with its dotted path.

    Args:
        cls: a `Settings` subclass.
        prefix: prepended to every path.

    Yields:
        `(path, field)`, e.g. `("distill.temperature", <Field>)`.

    Example:
    ```python
    from tinybert_keras.config import RecipeConfig
    paths = [path for path, _ in leaves(RecipeConfig)]
    ```
    """
    for field in dataclasses.fields(cls):
        section = field.metadata.get("section")
        if section is None:
            yield prefix + field.name, field
        else:
            yield from leaves(section, f"{prefix}{field.name}.")


def split_overrides(overrides, *groups):
    """Applies keyword settings to whichever of several settings groups declares each name.

    Args:
        overrides: a dict of settings by name.
        *groups: `Settings` instances; a name goes to the first group that declares it.

    Returns:
        The groups, in order, with the overrides applied.

    Example:
    ```python
    from tinybert_keras.config import FinetuneSettings, TrainingSettings
    finetune, training = split_overrides(
        {"epochs": 1.0, "batch_size": 8}, FinetuneSettings(), TrainingSettings())
    ```
    """
    changes = [{} for _ in groups]
    for key, value in overrides.items():
        owners = [i for i, group in enumerate(groups) if key in group.names()]
        if not owners:
            raise unknown_setting(key, sorted(name for group in groups for name in group.names()))
        changes[owners[0]][key] = value
    return [group.replace(**change) for group, change in zip(groups, changes)]
