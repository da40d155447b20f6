"""How a setting is declared: its default, kind (type, check, command-line parsing) and help.

Every setting of the package is a field of a frozen dataclass built with `setting()`. The
dataclass checks each value on construction (`Settings.__post_init__`), YAML/JSON files and the
command line both go through that constructor, and the command line's flags are generated from
the fields' kinds and help. So a setting's default, type and help are written once.
"""

import dataclasses
import difflib
import json


class ConfigError(ValueError):
    """A setting that cannot work, with its name and what to change.

    Args:
        message: what is wrong and what to change.

    Example:
    ```python
    try:
        raise ConfigError("batch_size must be >= 1; got 0.")
    except ConfigError as error:
        print(error)
    ```
    """


@dataclasses.dataclass(frozen=True)
class Kind:
    """What values a setting takes: `check` validates one, `parse` reads one from a flag."""

    optional: bool = False
    metavar: str = None

    def check(self, name, value):
        """Returns the value (normalised) or raises `ConfigError` naming the setting."""
        if value is None and self.optional:
            return None
        return self._check(name, value)

    def parse(self, text):
        """Reads a command-line string; `none` stands for an unset optional setting."""
        if self.optional and text.lower() == "none":
            return None
        return self._parse(text)

    def _check(self, name, value):
        return value

    def _parse(self, text):
        return text


@dataclasses.dataclass(frozen=True)
class Number(Kind):
    """An int or float within bounds."""

    minimum: float = None
    maximum: float = None
    exclusive: bool = False
    integer: bool = False

    def _check(self, name, value):
        expected = int if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, expected):
            what = "an integer" if self.integer else "a number"
            raise ConfigError(f"{name} must be {what}; got {value!r}.")
        if value != value:
            raise ConfigError(f"{name} must be a number; got nan.")
        low = self.minimum is not None and (
            value <= self.minimum if self.exclusive else value < self.minimum
        )
        if low or (self.maximum is not None and value > self.maximum):
            bounds = f"{'>' if self.exclusive else '>='} {self.minimum}"
            if self.maximum is not None:
                bounds += f" and <= {self.maximum}"
            raise ConfigError(f"{name} must be {bounds}; got {value!r}.")
        return value

    def _parse(self, text):
        return int(text) if self.integer else float(text)


@dataclasses.dataclass(frozen=True)
class Boolean(Kind):
    """True or false; on the command line `--name` / `--no-name`."""

    def _check(self, name, value):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Choice(Kind):
    """One of a few strings."""

    values: tuple = ()

    def _check(self, name, value):
        if value not in self.values:
            raise ConfigError(f"{name} must be one of {', '.join(self.values)}; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Text(Kind):
    """A non-empty string (a name, a path, a preset)."""

    def _check(self, name, value):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name} must be a non-empty string; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Several(Kind):
    """A list of values of one kind; a single value is a list of one. On the command line the
    values follow one flag (`--corpus a.txt b/`), or with `singular` that flag is repeated, one
    value each (`--text-column a --text-column b`), so it cannot swallow positional arguments."""

    item: Kind = dataclasses.field(default=Text(), kw_only=True)
    singular: str = dataclasses.field(default=None, kw_only=True)

    def _check(self, name, value):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise ConfigError(f"{name} must list at least one value; got {value!r}.")
        return [self.item.check(f"{name}[{index}]", item) for index, item in enumerate(values)]

    def _parse(self, text):
        return self.item.parse(text)


@dataclasses.dataclass(frozen=True)
class Texts(Several):
    """A list of non-empty strings (file paths, column names)."""


@dataclasses.dataclass(frozen=True)
class Options(Kind):
    """A mapping of extra arguments; on the command line `KEY=VALUE`, repeatable."""

    def _check(self, name, value):
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a mapping; got {value!r}.")
        return dict(value)

    def _parse(self, text):
        key, separator, value = text.partition("=")
        if not separator or not key:
            raise ValueError(f"{text!r}: use KEY=VALUE, e.g. source=glue_data")
        return key, value


@dataclasses.dataclass(frozen=True)
class Custom(Kind):
    """A kind with its own check and parse functions (layer maps, student shapes)."""

    checker: object = None
    parser: object = None

    def _check(self, name, value):
        return self.checker(name, value)

    def _parse(self, text):
        return self.parser(text)


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
    @dataclasses.dataclass(frozen=True)
    class Example(Settings):
        epochs: float = setting(3.0, "Passes over the data.", Number(minimum=0))
    Example(epochs=2).epochs  # 2
    ```
    """
    metadata = {"help": help, "kind": kind}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: json.loads(json.dumps(default)),
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
                raise ConfigError(f"Unknown setting '{where}{key}'.{cls.suggest(key)}")
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{where}{error}") from None

    @classmethod
    def suggest(cls, key):
        """A hint for a misspelled or misplaced setting name."""
        close = difflib.get_close_matches(key, cls.names(), n=1)
        if close:
            return f" Did you mean {close[0]!r}?"
        for field in dataclasses.fields(cls):
            inner = field.metadata.get("section")
            if inner is not None and key in inner.names():
                return f" It belongs to the {field.name!r} section: {field.name}: {{{key}: ...}}."
        return f" Known settings: {cls.names()}."

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
                raise ConfigError(f"Unknown setting {key!r}.{self.suggest(key)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        """The settings as a plain, JSON- and YAML-ready dict (sections nested)."""
        return dataclasses.asdict(self)


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
        *groups: `Settings` instances; each name must belong to exactly one of them.

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
            known = sorted(name for group in groups for name in group.names())
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Known settings: {known}."
            raise ConfigError(f"Unknown setting {key!r}.{hint}")
        changes[owners[0]][key] = value
    return [group.replace(**change) for group, change in zip(groups, changes)]
