"""Every `Example:` of every public class, function and method of `tinybert_keras` runs, and
the results it states (`expression  # value`, or `# value` on the line below) hold.

A stated result is compared as a Python literal (numbers to 1e-6, `...` matching anything), or,
if it is not one, as the text of the value's repr; after `print(...)` the printed text is
compared. A comment after an expression is always a stated result: remarks go on lines of their
own. The examples run with the names of their module, a few imports (`_prelude`: numpy as np,
tensorflow as tf, keras, keras_hub, the settings classes, `build_parser`, `glue_task`,
`from_lists`, `Augmenter`, `WordVectors`), and the stand-ins of `tests/docstring_tiny.py` for
hub presets, GLUE, the released TinyBERT, the offline MLM and the variables of the surrounding
code, each in a fresh copy of a workspace of files.
"""

import ast
import contextlib
import importlib
import inspect
import io
import math
import os
import pkgutil
import re
import shutil
import tokenize

import pytest

import tinybert_keras
from conftest import use_fresh_cache
from docstring_tiny import fresh_variables
from docstring_tiny import stand_ins

# Paths an example writes anew, removed from its copy of the workspace.
FRESH = {
    "tinybert_keras.recipe.finetune.finetune": ["runs/teacher"],
    "tinybert_keras.recipe.runs.open_run": ["runs/teacher"],
    "tinybert_keras.recipe.general.general_distill": ["runs/general"],
    "tinybert_keras.recipe.task.task_distill": ["runs/task"],
    "tinybert_keras.recipe.task.intermediate_phase": ["runs/task/intermediate"],
    "tinybert_keras.recipe.task.prediction_phase": ["runs/task/prediction"],
    "tinybert_keras.recipe.presets.save_classifier": ["runs/task/preset"],
    "tinybert_keras.recipe.general.prepare_corpus": ["runs/general", "wiki_prepared"],
    "tinybert_keras.recipe.distribution.open_stage": ["runs/general"],
    "tinybert_keras.recipe.distribution.worker_folder": ["runs/general"],
    "tinybert_keras.recipe.export.export_classifier": ["runs/export"],
    "tinybert_keras.cli.commands.export": ["runs/export"],
}


def _prelude():
    import argparse
    import dataclasses

    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    from tinybert_keras import config
    from tinybert_keras.augmentation import Augmenter
    from tinybert_keras.augmentation import WordVectors
    from tinybert_keras.cli import build_parser
    from tinybert_keras.data import from_lists
    from tinybert_keras.data import glue_task

    return {"argparse": argparse, "dataclasses": dataclasses, "keras": keras,
            "keras_hub": keras_hub, "np": np, "tf": tf, "build_parser": build_parser,
            "Augmenter": Augmenter, "WordVectors": WordVectors, "from_lists": from_lists,
            "glue_task": glue_task,
            **{name: getattr(config, name) for name in dir(config) if name[:1].isupper()}}


def _documented(module):
    """`(qualified name, object)` of each public class, function and method of a module."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        yield name, obj
        if inspect.isclass(obj):
            for attribute, member in vars(obj).items():
                member = getattr(member, "__func__", member)
                if not attribute.startswith("_") and (inspect.isfunction(member)
                                                      or isinstance(member, property)):
                    yield f"{name}.{attribute}", member


MODULES = [importlib.import_module(info.name) for info in
           pkgutil.walk_packages(tinybert_keras.__path__, "tinybert_keras.")]
EXAMPLES = [
    pytest.param(module, code, id=f"{module.__name__}.{name}" + (f"[{number}]" if number else ""))
    for module in MODULES for name, obj in _documented(module)
    for number, code in enumerate(re.findall(r"```python\n(.*?)```", inspect.getdoc(obj) or "",
                                             re.S))
]


def test_every_public_class_and_function_has_an_example():
    missing = [f"{module.__name__}.{name}" for module in MODULES
               for name, obj in _documented(module)
               if "." not in name and "```python" not in (inspect.getdoc(obj) or "")]
    assert missing == []


def _comments(code):
    return {token.start[0]: (token.start[1], token.string[1:].strip())
            for token in tokenize.generate_tokens(io.StringIO(code).readline)
            if token.type == tokenize.COMMENT}


def stated_result(statement, code, comments):
    """The result an expression statement states, or `None`."""
    lines = code.splitlines()
    end = statement.end_lineno
    if end in comments and comments[end][0] >= statement.end_col_offset:
        return comments[end][1]
    below = comments.get(end + 1)
    if below is not None and not lines[end][:below[0]].strip():
        try:
            ast.literal_eval(below[1])
        except (ValueError, SyntaxError):
            return None
        return below[1]
    return None


def _text_matches(stated, text):
    pattern = ".*".join(re.escape(part) for part in stated.split("..."))
    return re.fullmatch(pattern, text.strip(), re.S) is not None


def _same(expected, actual):
    if expected is Ellipsis:
        return True
    if isinstance(expected, (bool, type(None))):
        return actual is expected or (type(actual).__name__ == "bool_" and actual == expected)
    if isinstance(expected, (int, float)):
        try:
            return math.isclose(float(actual), expected, rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str):
        return actual == expected
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and list(actual) == list(expected)
                and all(_same(expected[key], actual[key]) for key in expected))
    builtin = (list, tuple)
    if isinstance(actual, builtin) and type(actual) is not type(expected):
        return False
    if isinstance(actual, (str, bytes, dict)) or not hasattr(actual, "__iter__"):
        return False
    actual, expected = list(actual), list(expected)
    if expected and expected[-1] is Ellipsis:  # `[1, ...]`: these first, then anything
        expected.pop()
        actual = actual[:len(expected)]
    return len(actual) == len(expected) and all(map(_same, expected, actual))


def check(stated, value, printed):
    if printed is not None:
        assert _text_matches(stated, printed), f"printed {printed!r}, the example states {stated}"
        return
    try:
        expected = ast.literal_eval(stated)
    except (ValueError, SyntaxError):
        assert _text_matches(stated, repr(value)), f"got {value!r}, the example states {stated}"
        return
    assert _same(expected, value), f"got {value!r}, the example states {stated}"


def run_example(code, namespace):
    """Runs `code` statement by statement, checking each stated result."""
    tree, comments = ast.parse(code), _comments(code)
    for statement in tree.body:
        stated = stated_result(statement, code, comments) if isinstance(statement, ast.Expr) else None
        if stated is None:
            exec(compile(ast.Module([statement], []), "<example>", "exec"), namespace)
            continue
        expression = compile(ast.Expression(statement.value), "<example>", "eval")
        is_print = (isinstance(statement.value, ast.Call)
                    and getattr(statement.value.func, "id", None) == "print")
        output = io.StringIO()
        with contextlib.redirect_stdout(output) if is_print else contextlib.nullcontext():
            value = eval(expression, namespace)
        check(stated, value, output.getvalue() if is_print else None)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("docstring_examples")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_fresh_cache(root / "cache", monkeypatch)
        variables = stand_ins(root, monkeypatch)
        yield {"root": root, "variables": variables, "prelude": _prelude()}


@pytest.mark.parametrize("module, code", EXAMPLES)
def test_example(module, code, shared, tmp_path, monkeypatch, request):
    work = tmp_path / "work"
    shutil.copytree(shared["root"] / "workspace", work, symlinks=True)
    name = request.node.callspec.id.partition("[")[0]
    for path in FRESH.get(name, ()):
        shutil.rmtree(work / path)
    monkeypatch.chdir(work)
    namespace = {**shared["prelude"], **vars(module), **shared["variables"], **fresh_variables()}
    environment = dict(os.environ)
    try:
        run_example(code, namespace)
    finally:  # an example may set TF_CONFIG, which would make every later strategy multi-worker
        os.environ.clear()
        os.environ.update(environment)


@pytest.mark.parametrize("code, stated", [
    ("1 + 1  # 2", ["2"]), ("x = 3  # a remark", []), ("print('a b')  # a b", ["a b"]),
    ("[1,\n 2]\n# [1, 2]", ["[1, 2]"]), ("f(1)\n# a remark below", []),
])
def test_stated_results_are_found(code, stated):
    tree, comments = ast.parse(code), _comments(code)
    found = [stated_result(s, code, comments) for s in tree.body if isinstance(s, ast.Expr)]
    assert [value for value in found if value is not None] == stated


@pytest.mark.parametrize("stated, value", [
    ("2", 2.0000001), ("(1, 2, 3, 3)", (1, 2, 3, 3)), ("[{1: [...]}]", [{1: ["a", "b"]}]),
    ("'fit_dense'", "fit_dense"), ("True", True), ("0.365", 0.365), ("[1, ...]", [1, 5, 6]),
])
def test_a_true_stated_result_passes(stated, value):
    check(stated, value, None)


@pytest.mark.parametrize("stated, value", [
    ("2", 3), ("(1, 2)", [1, 2]), ("['a']", ["b"]), ("True", False), ("0.127", 0.365),
    ("{'train': 1}", {"train": 2}), ("'x'", 1), ("[1, ...]", [2, 1]), ("None", 0),
])
def test_a_false_stated_result_fails(stated, value):
    with pytest.raises(AssertionError):
        check(stated, value, None)
