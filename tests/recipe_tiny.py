"""Tiny presets, data and corpora for the recipe, CLI and evaluation tests."""

import pathlib

import numpy as np

WORDS = ["good", "great", "fun", "bad", "awful", "dull", "the", "movie", "film", "was", "a", "plot"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
STUDENT = {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2}
CORPUS = str(pathlib.Path(__file__).parent / "fixtures" / "corpus")
FAST = {"batch_size": 8, "jit_compile": False, "verbose": 0}


def tiny_data(size=96, seed=0):
    """A sentiment task a tiny BERT learns in a few dozen steps: one cue word decides the label."""
    from tinybert_keras.data import from_lists

    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(size):
        label = int(rng.integers(0, 2))
        cue = rng.choice(WORDS[:3] if label else WORDS[3:6])
        filler = rng.choice(WORDS[6:], size=3)
        texts.append(" ".join([*filler[:2], cue, filler[2]]))
        labels.append("pos" if label else "neg")
    cut = size * 3 // 4
    return from_lists(
        (texts[:cut], labels[:cut]), dev=(texts[cut:], labels[cut:]), name="tiny",
        label_names=("neg", "pos"), sequence_length=8,
    )


def tiny_csv_files(folder, size=96, seed=0):
    """`tiny_data` as a user's own files: `train.csv` and `dev.csv` (and `test.csv`, the dev
    rows again) with the columns `review` and `sentiment` (neg, pos); returns their paths."""
    import csv

    data = tiny_data(size, seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, file_split in (("train", "train"), ("dev", "dev"), ("test", "dev")):
        paths[split] = str(folder / f"{split}.csv")
        with open(paths[split], "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["review", "sentiment"])
            examples = data[file_split]
            writer.writerows(
                (text, data.task.label_names[label])
                for text, label in zip(examples.texts, examples.labels)
            )
    return paths


def tiny_teacher_preset(directory, num_layers=2, hidden_dim=8, seed=0):
    """Saves a random tiny BERT backbone and its WordPiece tokenizer as a keras-hub preset."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(SPECIAL) + len(WORDS), num_layers=num_layers, num_heads=2,
        hidden_dim=hidden_dim, intermediate_dim=2 * hidden_dim, max_sequence_length=16,
        dropout=0.0,
    )
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=SPECIAL + WORDS)
    backbone.save_to_preset(str(directory))
    tokenizer.save_to_preset(str(directory))
    return str(directory)


def tiny_runs(root):
    """A fine-tuned tiny teacher, a general-distilled tiny student and a task-distilled one."""
    from tinybert_keras import recipe

    data = tiny_data()
    pretrained = tiny_teacher_preset(root / "pretrained")
    teacher = recipe.finetune(
        pretrained, data, root / "teacher", epochs=10, learning_rate=1e-2, **FAST
    )
    general = recipe.general_distill(
        pretrained, STUDENT, root / "general", corpus=CORPUS, sequence_length=16,
        max_steps=4, steps_per_checkpoint=2, **FAST,
    )
    runs = {"root": root, "data": data, "pretrained": pretrained, "teacher": teacher,
            "general": general}
    runs["task"] = task_distill_tiny(runs, root / "task")
    return runs


def task_distill_tiny(runs, output_dir, student=None, **kwargs):
    """Task distillation of `tiny_runs`' teacher into its general student (or `student`)."""
    from tinybert_keras import recipe

    settings = {"intermediate_epochs": 2, "prediction_epochs": 6,
                "prediction_learning_rate": 3e-2, "steps_per_checkpoint": 3, **FAST, **kwargs}
    return recipe.task_distill(
        runs["teacher"]["preset"], student or runs["general"]["preset"], runs["data"],
        output_dir, **settings,
    )
