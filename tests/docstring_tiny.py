"""Stand-ins for what the docstring examples name but CI cannot reach, and a workspace of files.

The examples are written for users: they name keras-hub presets on Kaggle
(`bert_base_en_uncased`, `bert_tiny_en_uncased`), GLUE through tfds (`"sst2"`), a released
TinyBERT on the Hugging Face Hub, files in the current folder (`train.tsv`, `runs/teacher/preset`)
and variables of the surrounding code (`teacher`, `data`, `dev_dataset`). Here:

- `bert_base_en_uncased` is a tiny random BERT (4 layers, 12 heads, 24 wide, a 60-word
  vocabulary) and `bert_tiny_en_uncased` a random BERT of the real one's shape (4,385,920
  parameters, the bert-base-uncased vocabulary of the offline MiniLM); keras-hub finds both
  through its own preset table.
- `"sst2"` through `load_dataset` is SST-2's task with 64 + 32 easy examples (a cue word decides
  the label); `load_glue` without `source` reads the GLUE fixtures.
- `hf://huawei-noah/TinyBERT_General_4L_312D` is served from a checkpoint in the authors' layout.
- `offline_mlm_preset()` is a tiny masked LM (the real one trains for 18 minutes once).
- `RecipeConfig.named("demo_quick")` is a tiny recipe on the above (the real one takes minutes),
  `RecipeConfig.named("ablation")` one with a short task budget and GloVe-only augmentation.
- Keras compiles without XLA (stages default to `jit_compile=True`, 30-40 s per compile on CPU).
- The workspace holds the files the examples read, and a finished teacher, general student, task
  distillation, its int8 ONNX export, `demo_quick` run, prepared corpus and two-variant ablation
  study (on 32 TREC questions), as the stages write them; `results.csv` is a made-up study of
  every variant.
"""

import argparse
import json
import pathlib
import shutil

import numpy as np

from checkpoint_tiny import serve_hub
from checkpoint_tiny import write_checkpoint
from checkpoint_tiny import write_torch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CUES = {"positive": ["good", "great", "fun", "moving"], "negative": ["bad", "awful", "dull", "slow"]}
FILLER = ["the", "movie", "film", "was", "a", "plot", "story", "quite", "really", "it"]
VOCABULARY = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "'"]
              + CUES["positive"] + CUES["negative"] + FILLER
              + "river town cat sat down fox quick brown jumped rained we stayed in hi no yes "
                "fine premise hypothesis one two three four five six seven".split())
STUDENT = {"num_layers": 2, "hidden_dim": 24, "intermediate_dim": 48, "num_heads": 12}
FAST = {"batch_size": 8, "jit_compile": False, "verbose": 0}
HUB_CHECKPOINT = "huawei-noah/TinyBERT_General_4L_312D"


def sst2_stand_in():
    """SST-2's task (names, labels, length) on 64 + 32 sentences a tiny BERT learns at once."""
    from tinybert_keras.data import TaskData
    from tinybert_keras.data import from_lists
    from tinybert_keras.data import glue_task

    rng = np.random.default_rng(0)
    texts, labels = [], []
    for _ in range(96):
        label = ("negative", "positive")[int(rng.integers(0, 2))]
        words = list(rng.choice(FILLER, size=4)) + [rng.choice(CUES[label])]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    lists = from_lists((texts[:64], labels[:64]), dev=(texts[64:], labels[64:]),
                       label_names=("negative", "positive"))
    return TaskData(glue_task("sst2"), lists.splits)


def _presets(root):
    import keras
    import keras_hub

    from tinybert_keras.data import registry

    keras.utils.set_random_seed(0)
    base = root / "bert_base_en_uncased"
    keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY), num_layers=4, num_heads=12, hidden_dim=24,
        intermediate_dim=48, max_sequence_length=128,
    ).save_to_preset(str(base))
    keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True).save_to_preset(str(base))
    tiny = root / "bert_tiny_en_uncased"
    keras_hub.models.BertBackbone(
        vocabulary_size=30522, num_layers=2, num_heads=2, hidden_dim=128, intermediate_dim=512,
    ).save_to_preset(str(tiny))
    vocabulary = str(pathlib.Path(registry.resolve_preset("all_minilm_l6_v2")) / "vocab.txt")
    keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True).save_to_preset(str(tiny))
    return {"bert_base_en_uncased": base, "bert_tiny_en_uncased": tiny}


def _masked_lm(root):
    from augmentation_tiny import tiny_masked_lm

    tiny_masked_lm().save_to_preset(str(root / "masked_lm"))
    return root / "masked_lm"


def tiny_recipe():
    """The stand-in for `RecipeConfig.named("demo_quick")`."""
    from tinybert_keras.config import RecipeConfig

    return RecipeConfig(
        task="sst2", teacher="bert_base_en_uncased", student=STUDENT, batch_size=8,
        jit_compile=False, output_dir="tinybert_demo_quick", labels_only=True,
        finetune={"epochs": 4.0, "learning_rate": 1e-2},
        general={"max_steps": 2, "sequence_length": 32, "corpus": ["wiki_txt/"]},
        distill={"intermediate_epochs": 0.5, "prediction_epochs": 1.0, "steps_per_checkpoint": 4,
                 "min_teacher_margin": None},
        evaluation={"latency_repeats": 1},
    )


def ablation_recipe():
    """The stand-in for `RecipeConfig.named("ablation")`."""
    return tiny_recipe().replace(
        output_dir="tinybert_ablation", labels_only=False, train_examples=32, dev_examples=16,
        sequence_length=16,
        distill=tiny_recipe().distill.replace(intermediate_epochs=0.5, prediction_epochs=0.5),
        augmentation={"masked_lm": "none", "word_vectors": "glove.6B.300d.txt",
                      "num_augmentations": 1, "batch_size": 8},
    )


def _study_results(path):
    """A made-up `results.csv` of every variant, 3 seeds, on which every variant is worse."""
    from tinybert_keras.ablation import results
    from tinybert_keras.config import VARIANTS

    rng = np.random.default_rng(0)
    rows = [{"task": "trec", "variant": name, "seed": seed, "metric": "accuracy",
             "value": round(0.8 - 0.02 * rank + 0.005 * rng.normal(), 4), "seconds": 60.0,
             "settings_hash": "0" * 12}
            for seed in range(3) for rank, name in enumerate(VARIANTS)]
    results.write_csv(path, rows)


def _files(workspace, data):
    rows = list(zip(data["train"].texts, data["train"].labels))
    names = data.task.label_names
    (workspace / "train.tsv").write_text(
        "sentence\tlabel\n" + "".join(f"{t}\t{names[y]}\n" for t, y in rows[:8]))
    (workspace / "train_aug.tsv").write_text(
        "sentence\tlabel\n" + "".join(f"{t}\t{names[y]}\n" for t, y in rows[:16]))
    (workspace / "train.csv").write_text(
        "sentence,label\n" + "".join(f"{t},{names[y]}\n" for t, y in rows[:8]))
    (workspace / "reviews").mkdir()
    for split, part in (("train", rows[:10]), ("dev", rows[10:15])):
        (workspace / "reviews" / f"{split}.csv").write_text(
            "review,stars\n" + "".join(f"{t},{1 + 4 * y}\n" for t, y in part))
    for corpus in ("wiki", "wiki_txt", "my_corpus"):
        shutil.copytree(FIXTURES / "corpus", workspace / corpus)
    shutil.copytree(FIXTURES / "glue_data", workspace / "glue_data")
    tiny_recipe().to_file(workspace / "recipe.yaml")
    _study_results(workspace / "results.csv")
    rng = np.random.default_rng(0)
    (workspace / "glove.6B.300d.txt").write_text("".join(
        f"{word} {' '.join(f'{v:.4f}' for v in rng.normal(size=300))}\n" for word in FILLER))
    # The released 4L-312D's projection to BERT-base width, next to a few of its tensors.
    released = workspace / "TinyBERT_General_4L_312D"
    released.mkdir()
    state = {"fit_dense.weight": rng.normal(size=(768, 312)).astype("float32"),
             "fit_dense.bias": np.zeros(768, "float32"),
             "bert.pooler.dense.bias": np.zeros(312, "float32")}
    write_torch(state, released / "pytorch_model.bin")
    from safetensors.numpy import save_file

    save_file(state, str(released / "model.safetensors"))


def build_workspace(workspace, data):
    """Runs the stages the examples read from, in `workspace` (the current folder), on `data`."""
    from tinybert_keras import recipe

    teacher = recipe.finetune("bert_base_en_uncased", data, "runs/teacher", epochs=10,
                              learning_rate=1e-2, **FAST)
    assert teacher["dev"]["accuracy"] >= 0.9, teacher
    recipe.general_distill("bert_base_en_uncased", STUDENT, "runs/general", corpus=["wiki_txt/"],
                           max_steps=2, sequence_length=32, **FAST)
    recipe.task_distill("runs/teacher/preset", "runs/general/preset", data, "runs/task",
                        intermediate_epochs=1.0, prediction_epochs=2.0, steps_per_checkpoint=4,
                        **FAST)
    shutil.copytree(workspace / "runs" / "task" / "preset",
                    workspace / "tinybert_run" / "task" / "preset")
    recipe.export_classifier("runs/task/preset", "runs/export", formats=["onnx"],
                             precisions=["int8"])
    recipe.run_recipe(tiny_recipe(), verbose=0)
    recipe.prepare_corpus("wiki_prepared", corpus=["wiki/"], tokenizer="bert_base_en_uncased",
                          num_files=64)
    from tinybert_keras.ablation import run_ablation

    run_ablation(ablation_recipe(), variants=["full", "no_attn"], seeds=[0, 1], tasks=["trec"])


def stand_ins(root, monkeypatch):
    """Installs the stand-ins; returns the shared variables the examples use."""
    import keras
    import keras_hub
    import tensorflow as tf
    from keras_hub.src.utils.preset_utils import BUILTIN_PRESETS

    import tinybert_keras.data
    from tinybert_keras.config import named

    for name, folder in _presets(root).items():
        monkeypatch.setitem(BUILTIN_PRESETS[name], "kaggle_handle", str(folder))
    sst2, load_dataset = sst2_stand_in(), tinybert_keras.data.load_dataset
    monkeypatch.setattr(tinybert_keras.data, "load_dataset",
                        lambda name, **options: sst2 if name == "sst2" else load_dataset(
                            name, **options))
    monkeypatch.setitem(named.NAMED_CONFIGS, "demo_quick", tiny_recipe())
    monkeypatch.setitem(named.NAMED_CONFIGS, "ablation", ablation_recipe())
    compile_model = keras.Model.compile
    monkeypatch.setattr(keras.Model, "compile", lambda model, *args, jit_compile=None, **kwargs:
                        compile_model(model, *args, jit_compile=False, **kwargs))
    serve_hub(monkeypatch, {HUB_CHECKPOINT: write_checkpoint(root / "hub", fit_size=24)[0]})
    masked_lm = _masked_lm(root)
    workspace = root / "workspace"
    workspace.mkdir()
    _files(workspace, sst2)
    monkeypatch.chdir(workspace)
    build_workspace(workspace, sst2)
    return _shared(sst2, masked_lm, tf, keras_hub)


def _shared(data, masked_lm, tf, keras_hub):
    from tinybert_keras.config import DistillSettings
    from tinybert_keras.config import TrainingSettings
    from tinybert_keras.core.distiller import Distiller
    from tinybert_keras.data import glue
    from tinybert_keras.data import make_dataset
    from tinybert_keras.recipe import evaluation
    from tinybert_keras.recipe import presets
    from tinybert_keras.recipe.task import PhaseInputs
    from tinybert_keras.recipe.training import adamw

    teacher = presets.load_classifier("runs/teacher/preset")
    student = presets.load_classifier("runs/task/preset")
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, "runs/teacher/preset")
    dev_dataset = make_dataset(data["dev"], tokenizer, 8, sequence_length=64)
    distiller = Distiller(teacher, student, stage="intermediate", prediction_loss=True,
                          shared_projection=True)
    distiller.compile(optimizer=adamw(1e-3))
    run = json.loads(pathlib.Path("runs/task/run.json").read_text())
    shared = {
        "data": data, "task": data.task, "tokenizer": tokenizer, "teacher": teacher,
        "student": student, "classifier": teacher, "dev_dataset": dev_dataset,
        "x": next(iter(dev_dataset))[0], "distiller": distiller, "run": run,
        "train": make_dataset(data["train"], tokenizer, 8, sequence_length=64, shuffle=True,
                              seed=0),
        "rows": evaluation.compare_models({"teacher": teacher, "student": student}, dev_dataset,
                                          data.task, latency_repeats=1),
        "config": tiny_recipe(), "student_preset": "hf://" + HUB_CHECKPOINT,
        "strategy": tf.distribute.get_strategy(),
        "inputs": PhaseInputs(teacher, student, data.task, tokenizer, run,
                              DistillSettings(intermediate_epochs=1.0, prediction_epochs=1.0),
                              TrainingSettings(batch_size=8, jit_compile=False),
                              tf.distribute.get_strategy(), verbose=0),
        "offline_mlm_preset": lambda *args, **kwargs: masked_lm,
        "load_glue": lambda name, source=None, **kwargs: glue.load_glue(
            name, source=source or str(FIXTURES / "glue_data"), **kwargs),
    }
    return shared


def fresh_variables():
    """Variables an example may change: a small Keras model, its data, a parser."""
    import keras
    import tensorflow as tf

    from tinybert_keras.cli import flags
    from tinybert_keras.config import DistillSettings

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    dataset = tf.data.Dataset.from_tensor_slices(
        (rng.normal(size=(800, 4)).astype("float32"), rng.normal(size=(800, 1)).astype("float32"))
    ).batch(2)
    parser = argparse.ArgumentParser()
    flags.add_settings(parser, DistillSettings)
    return {"model": model, "dataset": dataset, "train_dataset": dataset,
            "parser": argparse.ArgumentParser(),
            "args": parser.parse_args(["--temperature", "2", "--layer-map", "top"])}
