import pytest
from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm
from augmentation_tiny import tiny_word_vectors

from tinybert_keras.augmentation import ENGLISH_STOPWORDS
from tinybert_keras.augmentation import Augmenter
from tinybert_keras.augmentation import split_words


@pytest.fixture(scope="module")
def masked_lm():
    return tiny_masked_lm()


def test_split_words_like_bert_basic_tokenizer():
    assert split_words("Don't  panic, Zoë!") == ["don", "'", "t", "panic", ",", "zoe", "!"]
    assert split_words("Zoë", lowercase=False, strip_accents=False) == ["Zoë"]


def test_candidates_come_from_the_mlm_or_the_word_vectors(masked_lm):
    augmenter = Augmenter(tiny_word_vectors(), masked_lm, num_candidates=4)
    words, candidates = augmenter.candidates([SENTENCES[4]])[0]
    assert words == ["running", "boats", "sleeping", "near", "houses", "by", "rivers", "."]
    # Every word here is alphabetic and no stopword but "by"; all but "near" are two pieces.
    assert sorted(candidates) == [0, 1, 2, 3, 4, 6]
    vectors = augmenter.word_vectors
    for j in (0, 1, 2, 4, 6):
        assert candidates[j] == vectors.nearest([words[j]], 4)[0]
    mlm = augmenter.mlm_candidates
    token_ids = list(augmenter.tokenizer(SENTENCES[4]))
    assert candidates[3] == mlm([token_ids], [[6]])[0][6]


def test_augment_keeps_original_first_and_drops_duplicates(masked_lm):
    augmenter = Augmenter(tiny_word_vectors(), masked_lm, num_augmentations=12)
    for text, variants in zip(SENTENCES, augmenter.augment(SENTENCES)):
        assert variants[0] == text
        assert 1 < len(variants) <= 13
        assert len(set(variants)) == len(variants)
        assert " ".join(split_words(text)) not in variants[1:]
        words = split_words(text)
        for variant in variants[1:]:
            new_words = variant.split(" ")
            assert len(new_words) == len(words)
            for old, new in zip(words, new_words):
                if old in ENGLISH_STOPWORDS or not old.isalpha():
                    assert new == old


def test_seeded_and_independent_of_chunking(masked_lm):
    augmenter = Augmenter(tiny_word_vectors(), masked_lm, num_augmentations=6, seed=3)
    whole = augmenter.augment(SENTENCES)
    assert whole == augmenter.augment(SENTENCES)
    assert whole[2:] == augmenter.augment(SENTENCES[2:], example_ids=[2, 3, 4])
    other_seed = Augmenter(tiny_word_vectors(), masked_lm, num_augmentations=6, seed=4)
    assert other_seed.augment(SENTENCES) != whole


def test_batched_and_fast_modes_against_one_query_per_pass(masked_lm):
    kwargs = dict(num_augmentations=8, num_candidates=5, seed=1)
    reference = Augmenter(tiny_word_vectors(), masked_lm, mode="per_query", **kwargs)
    batched = Augmenter(tiny_word_vectors(), masked_lm, mode="batched", batch_size=5, **kwargs)
    fast = Augmenter(tiny_word_vectors(), masked_lm, mode="fast", **kwargs)
    expected = reference.augment(SENTENCES)
    assert batched.augment(SENTENCES) == expected
    assert [v[0] for v in fast.augment(SENTENCES)] == SENTENCES


def test_word_vectors_only():
    augmenter = Augmenter(tiny_word_vectors(), num_augmentations=5, num_candidates=3)
    words, candidates = augmenter.candidates(["The quiet xylophone river."])[0]
    assert candidates[words.index("river")] == augmenter.word_vectors.nearest(["river"], 3)[0]
    # A word without a vector keeps its word.
    assert candidates[words.index("xylophone")] == ["xylophone"]
    assert augmenter.augment([SENTENCES[0]])[0][0] == SENTENCES[0]
