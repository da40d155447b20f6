"""Run folders: locked while in use, restartable while untouched, results checked on reuse."""

import json
import re

import pytest

from tinybert_keras.recipe import RecipeError
from tinybert_keras.recipe import open_run
from tinybert_keras.recipe.runs import finish_run


def _open(folder, settings):
    with open_run(folder, settings) as finished:
        return finished


def test_a_folder_is_locked_while_a_run_works_in_it(tmp_path):
    with open_run(tmp_path / "stage", {"epochs": 1}):
        with pytest.raises(RecipeError, match=rf"{re.escape(str(tmp_path / 'stage'))} is in use "
                                              r"by another run \(process \d+ on "):
            _open(tmp_path / "stage", {"epochs": 1})
    assert _open(tmp_path / "stage", {"epochs": 1}) is None


def test_a_run_whose_phases_never_trained_may_restart_with_new_settings(tmp_path):
    stage = tmp_path / "task"
    with open_run(stage, {"layer_map": [3]}):
        _open(stage / "intermediate", {"layer_map": [3], "phase": "intermediate"})
    assert _open(stage, {"layer_map": [2]}) is None
    assert json.loads((stage / "run.json").read_text()) == {"layer_map": [2]}
    (stage / "intermediate" / "history.csv").write_text("epoch,loss\r\n0,1.0\r\n")
    with pytest.raises(RecipeError, match=r"other settings \(changed: \['layer_map'\]\)"):
        _open(stage, {"layer_map": [1]})


def test_a_finished_run_is_returned_only_while_its_results_are_unchanged(tmp_path):
    stage = tmp_path / "stage"
    with open_run(stage, {"epochs": 1}):
        (stage / "preset").mkdir()
        (stage / "preset" / "model.weights.h5").write_bytes(b"weights")
        finish_run(stage, {"preset": str(stage / "preset")}, results=["preset"])
    assert _open(stage, {"epochs": 1}) == {"preset": str(stage / "preset")}
    (stage / "preset" / "model.weights.h5").write_bytes(b"w")
    with pytest.raises(RecipeError, match=r"model.weights.h5 has 1 bytes instead of 7. Delete "
                                          rf"the folder {re.escape(str(stage))}"):
        _open(stage, {"epochs": 1})
