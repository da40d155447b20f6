"""What values a setting takes: a kind checks a value and parses one from a command-line flag.

Each setting declared with `tinybert_keras.config.fields.setting` carries a kind; the settings
dataclasses check every value with it on construction, and the command line's flags parse with
it. A value that does not fit raises `ConfigError`, naming the setting.
"""

import dataclasses
import math


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
    """What values a setting takes: `check` validates one, `parse` reads one from a flag.

    Args:
        optional: `None` is allowed too (the setting is unset); `none` on the command line.
        metavar: the value's placeholder in the command line's help.

    Example:
    ```python
    Kind(optional=True).parse("none") is None  # True
    ```
    """

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
    """An int or float within bounds.

    Args:
        minimum: the smallest value allowed, if any.
        maximum: the largest value allowed, if any.
        exclusive: the minimum itself is not allowed.
        integer: only ints.
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Number(minimum=1, integer=True).check("batch_size", 32)  # 32
    ```
    """

    minimum: float = None
    maximum: float = None
    exclusive: bool = False
    integer: bool = False

    def _check(self, name, value):
        expected = int if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, expected):
            what = "an integer" if self.integer else "a number"
            raise ConfigError(f"{name} must be {what}; got {value!r}.")
        if not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number; got {value!r}.")
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
    """True or false; on the command line `--name` / `--no-name`.

    Args:
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Boolean().check("jit_compile", False)  # False
    ```
    """

    def _check(self, name, value):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Choice(Kind):
    """One of a few strings.

    Args:
        values: the strings allowed.
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Choice(values=("paper", "official")).check("formulation", "official")  # 'official'
    ```
    """

    values: tuple = ()

    def _check(self, name, value):
        if value not in self.values:
            raise ConfigError(f"{name} must be one of {', '.join(self.values)}; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Text(Kind):
    """A non-empty string (a name, a path, a preset).

    Args:
        **kind: `optional` (`None` allowed too) and `metavar`, as for every `Kind`.

    Example:
    ```python
    Text(metavar="NAME").check("task", "sst2")  # 'sst2'
    ```
    """

    def _check(self, name, value):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name} must be a non-empty string; got {value!r}.")
        return value


@dataclasses.dataclass(frozen=True)
class Several(Kind):
    """A list of values of one kind; a single value is a list of one.

    On the command line the values follow one flag (`--corpus a.txt b/`), or with `singular`
    that flag is repeated, one value each (`--text-column a --text-column b`), so it cannot
    swallow positional arguments.

    Args:
        item: the kind of each value (default `Text()`).
        singular: the repeated flag's name, if the flag is repeated rather than listed.
        unique: drop repeated values, keeping the first of each.
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Several(item=Number(minimum=0, integer=True)).check("seeds", [1, 2])  # [1, 2]
    ```
    """

    item: Kind = dataclasses.field(default=Text(), kw_only=True)
    singular: str = dataclasses.field(default=None, kw_only=True)
    unique: bool = dataclasses.field(default=False, kw_only=True)

    def _check(self, name, value):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise ConfigError(f"{name} must list at least one value; got {value!r}.")
        checked = [self.item.check(f"{name}[{index}]", item) for index, item in enumerate(values)]
        return list(dict.fromkeys(checked)) if self.unique else checked

    def _parse(self, text):
        return self.item.parse(text)


@dataclasses.dataclass(frozen=True)
class Texts(Several):
    """A list of non-empty strings (file paths, column names); one string is a list of one.

    Args:
        singular: the repeated flag's name, if the flag is repeated rather than listed.
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Texts().check("corpus", "wiki.txt")  # ['wiki.txt']
    ```
    """


@dataclasses.dataclass(frozen=True)
class Options(Kind):
    """A mapping of extra arguments; on the command line `KEY=VALUE`, repeatable.

    Args:
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Options().parse("source=glue_data")  # ('source', 'glue_data')
    ```
    """

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
    """A kind with its own check and parse functions (layer maps, student shapes).

    Args:
        checker: `(name, value) -> value`, raising `ConfigError` for a bad value.
        parser: `text -> value`, raising `ValueError` for bad text.
        **kind: `optional`, `metavar` (see `Kind`).

    Example:
    ```python
    Custom(checker=lambda name, value: value, parser=int).parse("3")  # 3
    ```
    """

    checker: object = None
    parser: object = None

    def _check(self, name, value):
        return self.checker(name, value)

    def _parse(self, text):
        return self.parser(text)
