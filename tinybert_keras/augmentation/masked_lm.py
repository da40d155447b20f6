"""Masked language models trained offline, for MLM augmentation when no MLM head is at hand.

keras-hub's Hugging Face converter does not port MLM head weights, and sentence-embedding BERTs
(such as the offline all-MiniLM-L6-v2) ship none. `train_masked_lm` turns any keras-hub BERT preset
into a `keras_hub.models.BertMaskedLM` by MLM training on plain text, either of the head alone
over the frozen backbone (for a backbone pretrained with an MLM objective, such as BERT-base,
whose head only was lost in conversion) or of head and backbone together.

The backbone must be trained too when its pretraining was not MLM. Over all-MiniLM-L6-v2
(distilled, then fine-tuned contrastively for sentence embeddings), measured on 640 held-out
news sentences with BERT's masking:

| training | steps (batch 32, sequence 64) | masked-token accuracy | 2-core CPU |
|---|---|---|---|
| head only (constant Adam 5e-3) | 800 | 14.4% | 25 min |
| head and backbone (AdamW, peak 3e-4; the `offline_mlm_preset` default) | 600 | 28.9% | 18 min |

Top-5 predictions for "she [MASK] the book on the table and left the room." are
`, . the " and` from the head alone and `wrote told said was bought` from the full training."""

import fcntl
import hashlib
import json
import pathlib

import keras
import keras_hub
import tensorflow as tf

from tinybert_keras.augmentation.news_corpus import news_sentences
from tinybert_keras.data import DataError
from tinybert_keras.data import integrity
from tinybert_keras.data import registry


def train_masked_lm(
    backbone_preset,
    texts,
    train_backbone=True,
    steps=600,
    batch_size=32,
    sequence_length=64,
    learning_rate=None,
    warmup_fraction=0.1,
    weight_decay=0.01,
    seed=0,
    jit_compile=False,
    verbose="auto",
):
    """Trains a BERT masked language model from a preset that may lack an MLM head.

    Inputs are masked as in BERT pre-training by `keras_hub.models.BertMaskedLMPreprocessor`
    (15% of tokens: 80% `[MASK]`, 10% random, 10% kept). The MLM head (a dense layer, a layer
    norm and an output bias; its output projection is tied to the token embedding) is always
    trained; the backbone too when `train_backbone`. AdamW with a linear warm-up over
    `warmup_fraction` of the steps, then cosine decay to zero.

    Args:
        backbone_preset: str or path. A keras-hub or Hugging Face BERT preset (directory or
            handle) with a backbone and a tokenizer.
        texts: list of str. Training text, one example each.
        train_backbone: bool. Train the backbone with the head. Keep `False` for a backbone
            pretrained with an MLM objective; set `True` for one that was not (sentence-
            embedding or distilled BERTs).
        steps: int. Optimizer steps.
        batch_size: int. Examples per step.
        sequence_length: int. Packed length of each example.
        learning_rate: float or None. Peak learning rate; `None` means 3e-4 when the backbone
            trains and 5e-3 for the head alone.
        warmup_fraction: float. Share of `steps` spent warming up.
        weight_decay: float. AdamW weight decay.
        seed: int. Seed for weight initialization, shuffling and masking.
        jit_compile: bool. Whether to XLA-compile the train step.
        verbose: the `verbose` argument of `keras.Model.fit`.

    Returns:
        A `keras_hub.models.BertMaskedLM` with its preprocessor attached; save it with
        `save_to_preset(dir)` and reload with `keras_hub.models.BertMaskedLM.from_preset(dir)`.

    Example:
    ```python
    masked_lm = train_masked_lm("all_minilm_l6_v2", ["The quick brown fox jumped."] * 64, steps=2)
    masked_lm.save_to_preset("my_mlm")
    ```
    """
    if learning_rate is None:
        learning_rate = 3e-4 if train_backbone else 5e-3
    keras.utils.set_random_seed(seed)
    backbone_preset = registry.resolve_preset(backbone_preset)
    backbone = keras_hub.models.BertBackbone.from_preset(backbone_preset)
    tokenizer = keras_hub.models.BertTokenizer.from_preset(backbone_preset)
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(
        tokenizer=tokenizer,
        sequence_length=sequence_length,
        mask_selection_length=max(1, round(0.15 * sequence_length)),
    )
    masked_lm = keras_hub.models.BertMaskedLM(backbone=backbone, preprocessor=preprocessor)
    backbone.trainable = train_backbone
    warmup_steps = int(warmup_fraction * steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        max(1, steps - warmup_steps),
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )
    masked_lm.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy()],
        jit_compile=jit_compile,
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices(list(texts))
        .repeat()
        .shuffle(10_000, seed=seed)
        .batch(batch_size, drop_remainder=True)
    )
    # `Task.fit` maps the attached preprocessor over the dataset itself.
    masked_lm.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=verbose)
    return masked_lm


def offline_mlm_preset(backbone_preset="all_minilm_l6_v2", train_backbone=True, steps=600,
                       held_out=2000, seed=0):
    """The path of a cached MLM preset trained offline with `train_masked_lm`.

    The model is trained on the news sentences of `news_sentences()` except the last `held_out`
    ones (kept for evaluation and benchmarks), XLA-compiled, and saved under the tinybert-keras
    cache (`$TINYBERT_KERAS_CACHE/masked_lms/`); later calls with the same arguments return the
    cached preset without training, after checking its files against the sizes and sha256
    recorded when it was saved (`tinybert_keras.data.integrity`). With the defaults that takes
    about 18 minutes on 2 CPU cores, once; another process asking for the same preset
    meanwhile waits for it.

    Args:
        backbone_preset: str or path. A BERT preset with a backbone and tokenizer; by default
            the offline all-MiniLM-L6-v2 (`tinybert_keras.data.registry.OFFLINE_PRESETS`).
        train_backbone: bool. Train the backbone with the head (see `train_masked_lm`).
        steps: int. Training steps.
        held_out: int. Sentences at the end of the corpus not used for training.
        seed: int. Training seed.

    Returns:
        A `pathlib.Path` to a preset directory that `keras_hub.models.BertMaskedLM.from_preset`
        loads.

    Raises:
        DataError: if a file of the cached preset changed since it was saved, naming the folder
            to delete.

    Example:
    ```python
    masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(offline_mlm_preset()))
    ```
    """
    settings = json.dumps(
        [registry.preset_identity(backbone_preset), train_backbone, steps, held_out, seed]
    )
    key = hashlib.sha256(settings.encode()).hexdigest()[:12]
    name = f"{pathlib.Path(str(backbone_preset)).name}-{key}"
    preset_dir = registry.cache_dir() / "masked_lms" / name
    preset_dir.parent.mkdir(parents=True, exist_ok=True)
    # A second process asking for the same preset waits for the first to train it.
    with open(preset_dir.with_name(name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (preset_dir / "config.json").exists():
            texts = news_sentences()[:-held_out]
            masked_lm = train_masked_lm(
                backbone_preset, texts, train_backbone=train_backbone, steps=steps, seed=seed,
                jit_compile=True,
            )
            with integrity.replacing(preset_dir) as partial:
                masked_lm.save_to_preset(str(partial))
                integrity.write_manifest(preset_dir, integrity.record(partial))
            return preset_dir
        expected = integrity.read_manifest(preset_dir)
        if expected is None:
            # Trained before records were kept: recorded as it is now.
            integrity.write_manifest(preset_dir)
    problems = "; ".join(integrity.differences(preset_dir, expected or {}))
    if problems:
        raise DataError(
            f"{problems}, since the masked LM was trained and saved. Delete {preset_dir} and it "
            "is trained again on the next run."
        )
    return preset_dir
