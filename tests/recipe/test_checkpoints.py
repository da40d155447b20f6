"""huawei-noah's released TinyBERT checkpoints, in their published layout, written by the tests."""

import os
import pickle
import shutil
import sys
import types
import zipfile

import keras_hub
import numpy as np
import pytest

from checkpoint_tiny import HUB
from checkpoint_tiny import SHAPES
from checkpoint_tiny import VOCABULARY
from checkpoint_tiny import authors_config
from checkpoint_tiny import reference_outputs
from checkpoint_tiny import serve_hub
from checkpoint_tiny import write_checkpoint
from checkpoint_tiny import write_torch
from tinybert_keras.core.distiller import Distiller
from tinybert_keras.data import DataError
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe.weight_files import read_pytorch


def inputs():
    rng = np.random.default_rng(1)
    token_ids = rng.integers(0, len(VOCABULARY), (3, 10)).astype("int32")
    segment_ids = np.repeat((np.arange(10) >= 6).astype("int32")[None], 3, axis=0)
    padding_mask = np.ones((3, 10), "int32")
    padding_mask[1, 7:] = padding_mask[2, 4:] = 0
    return token_ids, segment_ids, padding_mask


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_reads_what_torch_save_writes_without_torch(tmp_path, legacy):
    folder, state = write_checkpoint(tmp_path, weights="legacy" if legacy else "pytorch_model.bin")
    weights = read_pytorch(folder / "pytorch_model.bin", use_torch=False)
    assert list(weights) == list(state)
    for name, array in state.items():
        assert weights[name].dtype == array.dtype
        np.testing.assert_array_equal(weights[name], array)


CASES = [(shape, version, weights) for shape in SHAPES for version in ("v1", "v2")
         for weights in ("pytorch_model.bin", "model.safetensors")]


@pytest.mark.parametrize("shape, version, weights", CASES + [("4L-312D", "v1", "legacy")])
def test_a_released_checkpoint_loads_as_published(tmp_path, isolated_cache, shape, version,
                                                  weights):
    folder, state = write_checkpoint(tmp_path / "checkpoint", shape, version, weights)
    with pytest.raises(ValueError, match="Unrecognized format for config.json"):
        keras_hub.models.BertBackbone.from_preset(str(folder))  # keras-hub alone
    preset = checkpoints.resolve(str(folder))
    backbone = keras_hub.models.BertBackbone.from_preset(preset)
    token_ids, segment_ids, padding_mask = inputs()
    outputs = backbone({"token_ids": token_ids, "segment_ids": segment_ids,
                        "padding_mask": padding_mask})
    sequence, pooled = reference_outputs(state, authors_config(shape), token_ids, segment_ids,
                                         padding_mask)
    real = padding_mask.astype(bool)
    np.testing.assert_allclose(np.asarray(outputs["sequence_output"])[real], sequence[real],
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(outputs["pooled_output"]), pooled, atol=1e-5)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
    assert isinstance(tokenizer, keras_hub.models.BertTokenizer)
    assert tokenizer.get_vocabulary() == VOCABULARY and tokenizer.lowercase
    projections = checkpoints.read_projections(str(folder))
    names = (["fit_dense"] if version == "v1"
             else [f"fit_denses.{i}" for i in range(SHAPES[shape][0] + 1)])
    assert projections.name == names[0].partition(".")[0]
    for name, kernel, bias in zip(names, projections.kernels, projections.biases, strict=True):
        np.testing.assert_array_equal(kernel, state[f"{name}.weight"].T)
        np.testing.assert_array_equal(bias, state[f"{name}.bias"])


def test_an_hf_handle_is_fetched_and_converted_once_keyed_by_content(
        tmp_path, isolated_cache, monkeypatch, capsys):
    folder, _ = write_checkpoint(tmp_path / "hub")
    serve_hub(monkeypatch, {HUB.format("4L_312D"): folder})
    handle = "hf://" + HUB.format("4L_312D")
    preset = checkpoints.resolve(handle)
    assert checkpoints.resolve(handle) == preset
    assert capsys.readouterr().out.count("Converting the TinyBERT checkpoint") == 1
    assert checkpoints.resolve(str(shutil.copytree(folder, tmp_path / "copy"))) == preset
    write_checkpoint(tmp_path / "other", seed=1)
    assert checkpoints.resolve(str(tmp_path / "other")) != preset
    assert keras_hub.models.BertBackbone.from_preset(preset).num_layers == 4


def test_a_converted_checkpoint_that_changed_in_the_cache_names_the_folder_to_delete(
        tmp_path, isolated_cache):
    folder, _ = write_checkpoint(tmp_path / "checkpoint")
    preset = checkpoints.resolve(str(folder))
    weights = os.path.join(preset, "model.safetensors")
    with open(weights, "r+b") as file:
        file.truncate(os.path.getsize(weights) // 2)
    with pytest.raises(DataError, match=rf"model.safetensors has \d+ bytes instead of \d+.*"
                                        rf"Delete {preset} and it is converted again"):
        checkpoints.resolve(str(folder))
    shutil.rmtree(preset)
    assert checkpoints.resolve(str(folder)) == preset
    assert keras_hub.models.BertBackbone.from_preset(preset).num_layers == 4


def test_other_presets_pass_through(tmp_path, make_bert):
    make_bert().save_to_preset(str(tmp_path / "keras"))
    assert checkpoints.resolve(str(tmp_path / "keras")) == str(tmp_path / "keras")
    assert checkpoints.resolve("bert_base_en_uncased") == "bert_base_en_uncased"


def test_torch_reads_the_file_when_it_is_importable(tmp_path, monkeypatch):
    calls = []

    class Tensor:
        def __init__(self, array):
            self.array = array

        def is_floating_point(self):
            return True

        def detach(self):
            return self

        cpu = float = detach

        def numpy(self):
            return self.array

    def load(path, **kwargs):
        calls.append((path, kwargs))
        return {"fit_dense.bias": Tensor(np.ones(3, "float32"))}

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(load=load))
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(b"")
    assert list(read_pytorch(path)["fit_dense.bias"]) == [1, 1, 1]
    assert calls == [(str(path), {"map_location": "cpu", "weights_only": True})]


class Malicious:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_malicious_pickle_is_refused_never_run(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": Malicious(marker)}, protocol=2)
    zipped = tmp_path / "zip" / "pytorch_model.bin"
    zipped.parent.mkdir()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
    legacy = tmp_path / "legacy" / "pytorch_model.bin"
    legacy.parent.mkdir()
    legacy.write_bytes(payload)
    for path in (zipped, legacy):
        with pytest.raises(DataError, match=rf"{path}: .*asks for (posix|os|nt)\.system.*malicious"):
            read_pytorch(path, use_torch=False)
    assert not marker.exists()


def test_a_truncated_or_corrupt_file_names_the_file(tmp_path):
    folder, _ = write_checkpoint(tmp_path / "zip")
    path = folder / "pytorch_model.bin"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match=rf"{path}: is a truncated zip archive"):
        read_pytorch(path, use_torch=False)
    folder, _ = write_checkpoint(tmp_path / "legacy", weights="legacy")
    path = folder / "pytorch_model.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=rf"{path}: storage \d+ holds \d+ bytes, \d+ expected: "
                                        r"the file is truncated"):
        read_pytorch(path, use_torch=False)
    path.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(DataError, match=rf"{path}: is not a PyTorch checkpoint"):
        read_pytorch(path, use_torch=False)


def test_a_checkpoint_that_does_not_match_its_config_is_refused(tmp_path, isolated_cache):
    folder, _ = write_checkpoint(tmp_path, "4L-312D")
    config = (folder / "config.json").read_text().replace('"num_hidden_layers": 4',
                                                          '"num_hidden_layers": 5')
    (folder / "config.json").write_text(config)
    with pytest.raises(DataError, match=r"pytorch_model.bin: does not hold the BERT that "
                                        r"config.json describes: missing \['encoder.layer.4"):
        checkpoints.resolve(str(folder))
    (folder / "vocab.txt").unlink()
    with pytest.raises(DataError, match="no vocab.txt"):
        checkpoints.resolve(str(folder))


def _distiller(student_preset, teacher_width, shared):
    teacher = keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY), num_layers=4, num_heads=2, hidden_dim=teacher_width,
        intermediate_dim=2 * teacher_width, max_sequence_length=16)
    student = keras_hub.models.BertBackbone.from_preset(checkpoints.resolve(student_preset))
    return Distiller(teacher, student, stage="general", shared_projection=shared)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_trained_projections_start_the_distiller(tmp_path, isolated_cache, version):
    folder, state = write_checkpoint(tmp_path, version=version, fit_size=16)
    projections = checkpoints.read_projections(str(folder))
    distiller = _distiller(str(folder), 16, shared=version == "v1")
    assert "start from the student checkpoint's trained" in checkpoints.start_projections(
        distiller, projections)
    names = ["fit_dense"] if version == "v1" else [f"fit_denses.{i}" for i in range(5)]
    for name, layer in zip(names, distiller.projections, strict=True):
        np.testing.assert_array_equal(layer.kernel.numpy(), state[f"{name}.weight"].T)
        np.testing.assert_array_equal(layer.bias.numpy(), state[f"{name}.bias"])


@pytest.mark.parametrize("version, width, shared, hint", [
    ("v1", 16, False, "Set shared_projection to start from it"),
    ("v2", 16, True, "Switch shared_projection off"),
    ("v1", 8, True, "They map to width 16; the teacher is 8 wide"),
])
def test_projections_that_do_not_fit_start_random_and_say_why(tmp_path, isolated_cache, version,
                                                             width, shared, hint):
    folder, _ = write_checkpoint(tmp_path, version=version, fit_size=16)
    distiller = _distiller(str(folder), width, shared)
    before = [layer.kernel.numpy() for layer in distiller.projections]
    note = checkpoints.start_projections(distiller, checkpoints.read_projections(str(folder)))
    assert "they start random." in note and hint in note
    for kernel, layer in zip(before, distiller.projections):
        np.testing.assert_array_equal(layer.kernel.numpy(), kernel)


def test_a_checkpoint_without_projections_starts_them_random(tmp_path, isolated_cache):
    # The authors' v2 code writes no fit_denses when the student is as wide as the teacher.
    folder, state = write_checkpoint(tmp_path, "6L-768D", "v2")
    bare = {name: array for name, array in state.items() if not name.startswith("fit_denses")}
    write_torch(bare, folder / "pytorch_model.bin")
    assert checkpoints.read_projections(str(folder)) is None
    assert keras_hub.models.BertBackbone.from_preset(checkpoints.resolve(str(folder))).num_layers == 6
