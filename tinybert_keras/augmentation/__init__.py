"""TinyBERT data augmentation: MLM and word-vector replacements, batched and resumable."""

from tinybert_keras.augmentation.augmenter import Augmenter
from tinybert_keras.augmentation.augmenter import split_words
from tinybert_keras.augmentation.files import augment_file
from tinybert_keras.augmentation.files import build_augmenter
from tinybert_keras.augmentation.files import read_training_file
from tinybert_keras.augmentation.mlm_candidates import MLMCandidates
from tinybert_keras.augmentation.masked_lm import offline_mlm_preset
from tinybert_keras.augmentation.masked_lm import train_masked_lm
from tinybert_keras.augmentation.news_corpus import news_sentences
from tinybert_keras.augmentation.stopwords import ENGLISH_STOPWORDS
from tinybert_keras.augmentation.word_vectors import WordVectors
from tinybert_keras.augmentation.writer import augment_to_file
