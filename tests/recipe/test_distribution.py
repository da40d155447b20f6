"""Several machines: two worker processes on 127.0.0.1 train the weights one process trains."""

import json
import os
import pathlib
import random
import subprocess
import sys

import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from recipe_tiny import WORDS
from recipe_tiny import tiny_data
from recipe_tiny import tiny_teacher_preset
from tinybert_keras import recipe
from tinybert_keras.recipe import distribution

WORKER = pathlib.Path(__file__).parent.parent / "recipe_worker.py"
# No dropout: replicas draw their masks on halves of the batch, one process on all of it.
STUDENT = {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2,
           "dropout": 0.0}
# 48 documents pack into 64 sequences: 16 full global batches of 4, 2 per worker.
SETTINGS = {"sequence_length": 16, "max_steps": 6, "steps_per_checkpoint": 2,
            "learning_rate": 1e-2, "batch_size": 4, "jit_compile": False, "verbose": 0}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("distributed")
    rng = random.Random(0)
    (root / "text").mkdir()
    with open(root / "text" / "corpus.txt", "w") as file:
        for _ in range(48):
            words = [rng.choice(WORDS) for _ in range(rng.randint(6, 12))]
            file.write(" ".join(words).capitalize() + ".\n\n")
    teacher = tiny_teacher_preset(root / "teacher")
    recipe.prepare_corpus(root / "prepared", corpus=[str(root / "text")], tokenizer=teacher,
                          sequence_length=16, num_files=3)
    return {"root": root, "teacher": teacher, "text": str(root / "text"),
            "prepared": str(root / "prepared")}


def _arguments(setup, corpus, output_dir):
    return {"teacher": setup["teacher"], "student": STUDENT, "output_dir": str(output_dir),
            "corpus": [setup[corpus]], **SETTINGS}


def _two_workers(arguments, temporary, kill_at=None):
    """Runs two worker processes to their end; returns their exit codes and outputs."""
    processes = []
    for config in distribution.local_cluster(2):
        environment = {
            **os.environ, "TMPDIR": str(temporary), "TF_CONFIG": config,
            "PYTHONPATH": os.pathsep.join([str(pathlib.Path(recipe.__file__).parents[2]),
                                           os.environ.get("PYTHONPATH", "")]),
        }
        command = [sys.executable, str(WORKER), json.dumps(arguments)]
        processes.append(subprocess.Popen(
            command + ([str(kill_at)] if kill_at is not None else []), env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    outputs = [process.communicate(timeout=540)[0] for process in processes]
    return [process.returncode for process in processes], outputs


def _weights(summary):
    return keras_hub.models.Backbone.from_preset(summary["preset"]).get_weights()


def _assert_same_weights(summary, reference):
    for actual, expected in zip(_weights(summary), _weights(reference), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


@pytest.mark.slow
def test_two_workers_train_the_weights_of_one_process(setup, tmp_path):
    reference = recipe.general_distill(**_arguments(setup, "prepared", tmp_path / "one"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    codes, outputs = _two_workers(_arguments(setup, "prepared", tmp_path / "two"), temporary)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    summaries = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    assert summaries[0] == summaries[1]
    assert summaries[0]["steps"] == reference["steps"] == 6
    for name, value in reference["losses"].items():
        assert summaries[0]["losses"][name] == pytest.approx(value, rel=1e-5)
    _assert_same_weights(summaries[0], reference)
    # The chief wrote the stage folder; the other worker's temporary folder is gone.
    assert sorted(os.listdir(tmp_path / "two")) == sorted(os.listdir(tmp_path / "one"))
    assert list(temporary.glob("tinybert-worker-*")) == []
    assert len(recipe.read_history(tmp_path / "two")["loss"]) == 3


@pytest.mark.slow
def test_killed_workers_resume_to_the_weights_of_one_process(setup, tmp_path):
    reference = recipe.general_distill(**_arguments(setup, "text", tmp_path / "one"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    arguments = _arguments(setup, "text", tmp_path / "two")
    codes, outputs = _two_workers(arguments, temporary, kill_at=1)
    assert all(code != 0 for code in codes), outputs
    backup = tmp_path / "two" / "backup" / "training_metadata.json"
    assert json.loads(backup.read_text())["epoch"] == 1
    assert not (tmp_path / "two" / "summary.json").exists()
    codes, outputs = _two_workers(arguments, temporary)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    _assert_same_weights(json.loads(outputs[0].strip().splitlines()[-1]), reference)
    resumed, uninterrupted = (recipe.read_history(tmp_path / f) for f in ("two", "one"))
    assert resumed.keys() == uninterrupted.keys()
    for name, values in uninterrupted.items():
        assert resumed[name] == pytest.approx(values, rel=1e-5)
    assert list(temporary.glob("tinybert-worker-*")) == []


def test_one_machine_keeps_the_default_strategy_and_writes_as_before():
    strategy = distribution.default_strategy()
    assert strategy is tf.distribute.get_strategy()
    assert distribution.is_chief(strategy) and not distribution.is_multi_worker(strategy)


def test_tf_config_names_the_cluster(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribution.cluster_size() == 0
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"], "evaluator": ["d:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": "worker", "index": 0}}))
    assert distribution.cluster_size() == 3
    monkeypatch.setenv("TF_CONFIG", "{worker: [a]}")
    with pytest.raises(recipe.RecipeError, match="TF_CONFIG is not a JSON object"):
        distribution.default_strategy()


def test_a_multi_worker_strategy_after_tensorflow_started_is_a_message(tmp_path):
    script = """
import tensorflow as tf
from tinybert_keras.recipe import RecipeError, distribution
tf.constant(1.0) + 1.0
try:
    distribution.default_strategy()
except RecipeError as error:
    print(error)
"""
    environment = {**os.environ, "TF_CONFIG": distribution.local_cluster(2)[0],
                   "PYTHONPATH": str(pathlib.Path(recipe.__file__).parents[2])}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=240, env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TF_CONFIG names 2 workers, but TensorFlow already ran" in result.stdout


def test_a_colab_tpu_gets_a_tpu_strategy_once(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    monkeypatch.setattr(distribution, "_CREATED", {})
    addresses = []
    monkeypatch.setattr(distribution, "_tpu_strategy", lambda address: addresses.append(address)
                        or f"TPUStrategy({address})")
    assert distribution.default_strategy() == "TPUStrategy(grpc://10.0.0.2:8470)"
    assert distribution.default_strategy() == "TPUStrategy(grpc://10.0.0.2:8470)"
    assert addresses == ["grpc://10.0.0.2:8470"]


def test_a_tpu_vm_is_recognised_by_its_chips(monkeypatch, tmp_path):
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    monkeypatch.setattr(distribution, "PCI_DEVICES", str(tmp_path / "*"))
    for name, vendor, device in (("nic", "0x1ae0", "0x0042"), ("disk", "0x1af4", "0x1001")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "vendor").write_text(vendor + "\n")
        (tmp_path / name / "device").write_text(device + "\n")
    assert distribution._tpu_address() is None  # Google's virtual network card is no TPU.
    (tmp_path / "chip").mkdir()
    (tmp_path / "chip" / "vendor").write_text("0x1ae0\n")
    (tmp_path / "chip" / "device").write_text("0x0063\n")
    assert distribution._tpu_address() == "local"


def test_the_stages_of_one_machine_refuse_several(monkeypatch, tmp_path):
    monkeypatch.setattr(distribution, "is_multi_worker", lambda strategy: True)
    with pytest.raises(recipe.RecipeError, match="Teacher fine-tuning runs on one machine"):
        recipe.finetune("teacher", tiny_data(), tmp_path / "teacher")
    with pytest.raises(recipe.RecipeError, match="Task distillation runs on one machine"):
        recipe.task_distill("teacher", "tinybert_4", tiny_data(), tmp_path / "task")
    assert list(tmp_path.iterdir()) == []


def test_xla_across_cpu_workers_is_refused_before_anything_is_written(monkeypatch, setup,
                                                                      tmp_path):
    monkeypatch.setattr(distribution, "is_multi_worker", lambda strategy: True)
    arguments = {**_arguments(setup, "prepared", tmp_path / "general"), "jit_compile": True}
    with pytest.raises(recipe.RecipeError, match="pass --no-jit-compile"):
        recipe.general_distill(**arguments)
    assert not (tmp_path / "general").exists()
