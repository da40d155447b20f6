"""Every `Example:` in the core modules' docstrings runs as written."""

import importlib
import inspect
import re

import pytest

MODULES = [
    "tinybert_keras.core.layerwise",
    "tinybert_keras.core.layer_maps",
    "tinybert_keras.core.losses",
    "tinybert_keras.core.students",
    "tinybert_keras.core.distiller",
    "tinybert_keras.core.precision",
    "tinybert_keras.core.inference",
    "tinybert_keras.core.pairing",
]


def examples():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            for block in re.findall(r"```python\n(.*?)```", inspect.getdoc(obj) or "", re.S):
                yield pytest.param(module, block, id=f"{module_name}.{name}")


@pytest.mark.parametrize("module, code", list(examples()))
def test_example_runs(module, code):
    exec(code, dict(vars(module)))
