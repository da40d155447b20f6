"""Tiny real-format models and word vectors shared by the augmentation tests."""

import keras
import keras_hub
import numpy as np

from tinybert_keras.augmentation import WordVectors

WORDS = (
    "the a quiet river town was built near old stone bridge and people walked along water "
    "film story moving actors played roles well music felt slow cold warm bright dark city "
    "night day morning children laughed sang run sleep green red small large house garden "
    "tree road car boat sea sky rain sun"
).split()
# "running", "sleeping", "houses", "rivers" and "slowly" tokenize to two pieces.
PIECES = ["##ning", "##ing", "##s", "##ly"]
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!"] + WORDS + PIECES

SENTENCES = [
    "The quiet river town was built near an old stone bridge.",
    "People walked slowly along the water, and children laughed.",
    "The film was moving!",
    "Actors played their roles well, music felt warm and bright in the dark city at night.",
    "Running boats sleeping near houses by rivers.",
]


def tiny_masked_lm(seed=0, max_sequence_length=64):
    """A randomly initialized BertMaskedLM (hidden size 8) with a tokenizer over VOCABULARY."""
    keras.utils.set_random_seed(seed)
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY),
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=max_sequence_length,
    )
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(tokenizer, sequence_length=32)
    return keras_hub.models.BertMaskedLM(backbone, preprocessor=preprocessor)


def tiny_word_vectors(seed=0):
    """Random 6-d vectors for WORDS plus the multi-piece words of SENTENCES."""
    words = WORDS + ["running", "sleeping", "houses", "rivers", "slowly", "boats"]
    return WordVectors(words, np.random.default_rng(seed).normal(size=(len(words), 6)))


def tiny_glove_file(path):
    """Writes `tiny_word_vectors()` to `path` as a GloVe text file; returns the path as text."""
    vectors = tiny_word_vectors()
    with open(path, "w") as f:
        for word, row in zip(vectors.words, vectors.vectors):
            f.write(" ".join([word, *map(str, row)]) + "\n")
    return str(path)
