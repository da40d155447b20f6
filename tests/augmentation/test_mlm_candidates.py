import pytest
from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm

from tinybert_keras.augmentation import MLMCandidates


@pytest.fixture(scope="module")
def masked_lm():
    return tiny_masked_lm()


def queries(tokenizer):
    token_ids = [list(tokenizer(s)) for s in SENTENCES]
    vocabulary = tokenizer.get_vocabulary()
    positions = [
        [i for i, t in enumerate(ids) if vocabulary[t].isalpha()] for ids in token_ids
    ]
    return token_ids, positions


def test_batched_matches_one_query_per_pass(masked_lm):
    reference = MLMCandidates(masked_lm, num_candidates=6, mode="per_query")
    batched = MLMCandidates(masked_lm, num_candidates=6, mode="batched", batch_size=4)
    token_ids, positions = queries(batched.tokenizer)
    expected = reference(token_ids, positions)
    assert batched(token_ids, positions) == expected
    assert [sorted(r) for r in expected] == positions
    assert all(0 < len(c) <= 6 for r in expected for c in r.values())
    assert not any(t.startswith("##") for r in expected for c in r.values() for t in c)


def test_jit_compiled_batches_match(masked_lm):
    reference = MLMCandidates(masked_lm, num_candidates=5, mode="batched", batch_size=3)
    compiled = MLMCandidates(
        masked_lm, num_candidates=5, mode="batched", batch_size=3, jit_compile=True
    )
    token_ids, positions = queries(reference.tokenizer)
    assert compiled(token_ids[:3], positions[:3]) == reference(token_ids[:3], positions[:3])


def test_fast_mode_masks_non_adjacent_words_together(masked_lm):
    fast = MLMCandidates(masked_lm, num_candidates=5, mode="fast")
    assert fast._group([1, 2, 3, 5, 8, 9]) == [[1, 3, 5, 8], [2, 9]]
    token_ids, positions = queries(fast.tokenizer)
    results = fast(token_ids, positions)
    assert [sorted(r) for r in results] == positions
    # With one word per sentence, a fast query is the faithful query.
    faithful = MLMCandidates(masked_lm, num_candidates=5)
    single = [p[:1] for p in positions]
    assert fast(token_ids, single) == faithful(token_ids, single)


def test_masks_beyond_the_maximum_length_get_no_candidates():
    masked_lm = tiny_masked_lm(max_sequence_length=12)
    candidates = MLMCandidates(masked_lm, num_candidates=4)
    ids = list(candidates.tokenizer(SENTENCES[3]))
    results = candidates([ids], [[0, 5, 11, 14]])[0]
    assert results[0] and results[5]
    assert results[11] == [] and results[14] == []
