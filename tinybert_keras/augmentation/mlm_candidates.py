"""Top-K replacement candidates for masked words, from a BERT masked language model."""

import numpy as np
from keras import Input
from keras import Model
from keras import ops

MODES = ("per_query", "batched", "fast")


class MLMCandidates:
    """Top-K MLM predictions for single-WordPiece words, many queries per forward pass.

    A query for word piece `i` of a sentence with pieces `P` is, as in the official TinyBERT
    script, `[CLS] P with P[i] masked [SEP] P [SEP]` (segment 0 then 1), truncated to the model's
    maximum length; the candidates are the `num_candidates` top predictions at the mask with
    continuation pieces (`##...`) dropped. Three modes compute them:

    - `"per_query"`: one query per forward pass with the vocabulary projection at every position,
      as the official script does. The reference for tests and benchmarks.
    - `"batched"` (default, faithful): the same queries, `batch_size` per forward pass, sorted by
      length to limit padding, with the projection and top-K computed only at the masked
      position. Same candidates as `"per_query"` up to floating-point near-ties.
    - `"fast"`: the words of a sentence are masked together in as few queries as possible, no two
      adjacent words in one query (each query still carries the unmasked sentence as segment
      1). On news sentences that is 1.9 queries per sentence instead of 9.9; candidates differ
      somewhat from the faithful ones (`benchmarks/augment.py` measures the top-K overlap).

    Args:
        masked_lm: a `keras_hub.models.BertMaskedLM` (or any keras-hub MaskedLM taking
            `token_ids`, `segment_ids`, `padding_mask` and `mask_positions`).
        tokenizer: a `keras_hub.models.BertTokenizer`; defaults to the tokenizer of
            `masked_lm.preprocessor`.
        num_candidates: int. K, predictions taken per masked word before dropping `##` pieces.
        mode: str. One of `"per_query"`, `"batched"`, `"fast"`.
        batch_size: int. Queries per forward pass in `"batched"` and `"fast"` modes.
        jit_compile: bool. XLA-compile the forward pass. Shapes are then padded to few distinct
            values (lengths to multiples of 16, batches to multiples of 8), each compiled once (a
            few seconds for MiniLM on CPU). On 2 CPU cores a compiled batch of 64 queries of 64
            tokens ran 1.6x faster than the uncompiled one.

    Example:
    ```python
    masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(offline_mlm_preset()))
    candidates = MLMCandidates(masked_lm)
    ids = candidates.tokenizer(["the", "cat", "sat", "down"])  # one piece each
    candidates([[i[0] for i in ids]], [[1, 2]])  # [{1: [...], 2: [...]}]
    ```
    """

    def __init__(
        self,
        masked_lm,
        tokenizer=None,
        num_candidates=15,
        mode="batched",
        batch_size=64,
        jit_compile=False,
    ):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; received {mode!r}.")
        if tokenizer is None:
            if getattr(masked_lm, "preprocessor", None) is None:
                raise ValueError("Pass `tokenizer`: `masked_lm` has no preprocessor.")
            tokenizer = masked_lm.preprocessor.tokenizer
        self.masked_lm = masked_lm
        self.tokenizer = tokenizer
        self.num_candidates = num_candidates
        self.mode = mode
        self.batch_size = 1 if mode == "per_query" else batch_size
        self.jit_compile = jit_compile
        self.max_length = masked_lm.backbone.max_sequence_length
        self._vocabulary = tokenizer.get_vocabulary()
        inputs = {
            "token_ids": Input(shape=(None,), dtype="int32", name="token_ids"),
            "segment_ids": Input(shape=(None,), dtype="int32", name="segment_ids"),
            "padding_mask": Input(shape=(None,), dtype="int32", name="padding_mask"),
            "mask_positions": Input(shape=(None,), dtype="int32", name="mask_positions"),
        }
        logits = masked_lm(inputs)
        if mode != "per_query":
            logits = ops.top_k(logits, num_candidates)[1]
        self._predictor = Model(inputs, logits)
        self._predictor.compile(jit_compile=jit_compile)

    def __call__(self, token_ids, positions):
        """Candidates for the given word-piece positions of each sentence.

        Args:
            token_ids: list (one per sentence) of lists of WordPiece ids, without special tokens.
            positions: list (one per sentence) of increasing indices into that sentence's
                `token_ids`, the single-piece words to find candidates for.

        Returns:
            A list (one per sentence) of dicts from position to a list of candidate tokens (at
            most `num_candidates`; empty when the mask falls beyond the model's maximum length).

        Example:
        ```python
        masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(offline_mlm_preset()))
        candidates = MLMCandidates(masked_lm)
        candidates([[1996, 4937, 2938]], [[1, 2]])  # "the cat sat": [{1: [...], 2: [...]}]
        ```
        """
        queries = []
        for sentence, (pieces, sentence_positions) in enumerate(zip(token_ids, positions)):
            for group in self._group(sentence_positions):
                queries.append((sentence, pieces, group))
        results = [{position: [] for position in p} for p in positions]
        for query_batch in self._batches(queries):
            predictions = self._predict(query_batch)
            for (sentence, _, group), top in zip(query_batch, predictions):
                for position, ids in zip(group, top):
                    if position + 1 < self.max_length:
                        results[sentence][position] = self._decode(ids)
        return results

    def _group(self, positions):
        if self.mode != "fast":
            return [[p] for p in positions]
        groups = []
        for p in positions:
            for group in groups:
                if group[-1] < p - 1:
                    group.append(p)
                    break
            else:
                groups.append([p])
        return groups

    def _batches(self, queries):
        # Sorting by length keeps padding small; results are scattered back by sentence index.
        queries = sorted(queries, key=lambda q: len(q[1]))
        for start in range(0, len(queries), self.batch_size):
            yield queries[start : start + self.batch_size]

    def _padded(self, size, multiple):
        if not self.jit_compile:
            return size
        return -(-size // multiple) * multiple

    def _predict(self, query_batch):
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        mask_id, pad_id = self.tokenizer.mask_token_id, self.tokenizer.pad_token_id
        rows = []
        for _, pieces, group in query_batch:
            masked = list(pieces)
            for p in group:
                masked[p] = mask_id
            ids = [cls_id] + masked + [sep_id] + list(pieces) + [sep_id]
            segments = [0] * (len(pieces) + 2) + [1] * (len(pieces) + 1)
            rows.append((ids[: self.max_length], segments[: self.max_length]))
        length = min(self._padded(max(len(ids) for ids, _ in rows), 16), self.max_length)
        num_masks = self._padded(max(len(group) for _, _, group in query_batch), 8)
        batch = self._padded(len(rows), 8)
        inputs = {
            "token_ids": np.full((batch, length), pad_id, dtype="int32"),
            "segment_ids": np.zeros((batch, length), dtype="int32"),
            "padding_mask": np.zeros((batch, length), dtype="int32"),
            "mask_positions": np.zeros((batch, num_masks), dtype="int32"),
        }
        for row, ((ids, segments), (_, _, group)) in enumerate(zip(rows, query_batch)):
            inputs["token_ids"][row, : len(ids)] = ids
            inputs["segment_ids"][row, : len(ids)] = segments
            inputs["padding_mask"][row, : len(ids)] = 1
            # Masks beyond the truncated length point at [CLS]; their predictions are dropped.
            inputs["mask_positions"][row, : len(group)] = [
                p + 1 if p + 1 < self.max_length else 0 for p in group
            ]
        if self.mode == "per_query":
            return self._predict_full_projection(inputs, len(query_batch[0][2]))
        return ops.convert_to_numpy(self._predictor.predict_on_batch(inputs))

    def _predict_full_projection(self, inputs, num_masks):
        masks = inputs["mask_positions"][0, :num_masks]
        inputs["mask_positions"] = np.arange(inputs["token_ids"].shape[1], dtype="int32")[None]
        logits = ops.convert_to_numpy(self._predictor.predict_on_batch(inputs))[0]
        return [[np.argsort(-logits[m], kind="stable")[: self.num_candidates] for m in masks]]

    def _decode(self, ids):
        tokens = [self._vocabulary[i] for i in ids]
        return [t for t in tokens if not t.startswith("##")]
