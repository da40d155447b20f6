import keras_hub
import numpy as np
import pytest

from tinybert_keras.data import (
    DataError,
    check_same_vocabulary,
    from_lists,
    make_dataset,
    make_distillation_dataset,
    make_preprocessor,
)

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "dog", "ran", "."]


def _tokenizer(vocabulary=VOCABULARY):
    return keras_hub.models.BertTokenizer(vocabulary=vocabulary)


def _backbone(vocabulary_size):
    return keras_hub.models.BertBackbone(
        vocabulary_size=vocabulary_size, num_layers=1, num_heads=1, hidden_dim=4,
        intermediate_dim=8, max_sequence_length=16,
    )


def test_single_sentences_become_keras_hub_inputs():
    data = from_lists((["the cat sat .", "the dog ran", "cat"], ["a", "b", "a"]))
    dataset = make_dataset(data["train"], _tokenizer(), batch_size=2, sequence_length=8)
    batches = list(dataset)
    assert [int(y.shape[0]) for _, y in batches] == [2, 1]
    x, y = batches[0]
    assert set(x) == {"token_ids", "segment_ids", "padding_mask"}
    np.testing.assert_array_equal(x["token_ids"][0], [2, 5, 6, 7, 10, 3, 0, 0])
    np.testing.assert_array_equal(x["padding_mask"][1], [1, 1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(x["segment_ids"], np.zeros((2, 8)))
    np.testing.assert_array_equal(y, [0, 1])


def test_pairs_get_segment_ids_zero_and_one():
    data = from_lists(([("the cat", "sat ."), ("dog", "ran")], [1.5, 0.5]), regression=True)
    preprocessor = make_preprocessor(_tokenizer(), sequence_length=8)
    assert isinstance(preprocessor, keras_hub.models.BertTextClassifierPreprocessor)
    x, y = next(iter(make_dataset(data["train"], preprocessor, batch_size=2)))
    np.testing.assert_array_equal(x["token_ids"][0], [2, 5, 6, 3, 7, 10, 3, 0])
    np.testing.assert_array_equal(x["segment_ids"][0], [0, 0, 0, 0, 1, 1, 1, 0])
    np.testing.assert_allclose(y, [1.5, 0.5])


def test_shuffle_is_seeded():
    data = from_lists(([f"the cat {'.' * i}" for i in range(20)], [i % 2 for i in range(20)]))
    def order(seed):
        dataset = make_dataset(data["train"], _tokenizer(), batch_size=20, sequence_length=24,
                               shuffle=True, seed=seed)
        return next(iter(dataset))[0]["padding_mask"].numpy().sum(axis=1).tolist()
    first = order(1)
    assert first == order(1)
    assert sorted(first) == list(range(4, 24)) and first != sorted(first)


def test_tokenizer_needs_a_sequence_length():
    data = from_lists((["the", "cat"], [0, 1]))
    with pytest.raises(ValueError, match="sequence_length"):
        make_dataset(data["train"], _tokenizer())


def test_same_vocabulary_passes_and_mismatches_name_both_sides():
    tokenizer = _tokenizer()
    check_same_vocabulary(tokenizer, _tokenizer())
    check_same_vocabulary(tokenizer, _backbone(len(VOCABULARY)))
    with pytest.raises(DataError, match="teacher has a vocabulary of 11 tokens, the student 12"):
        check_same_vocabulary(tokenizer, _tokenizer(VOCABULARY + ["mat"]))
    swapped = VOCABULARY[:5] + ["cat", "the"] + VOCABULARY[7:]
    with pytest.raises(DataError, match=r"differ first at id 5: 'the' \(teacher\) vs 'cat'"):
        check_same_vocabulary(tokenizer, make_preprocessor(_tokenizer(swapped), 8))


def test_distillation_dataset_checks_both_models():
    data = from_lists((["the cat", "the dog"], [0, 1]))
    tokenizer = _tokenizer()
    dataset = make_distillation_dataset(
        data["train"], tokenizer, _backbone(11), _backbone(11), 2, sequence_length=8
    )
    assert next(iter(dataset))[0]["token_ids"].shape == (2, 8)
    with pytest.raises(DataError, match="tokenizer has a vocabulary of 11 tokens, the student 30"):
        make_distillation_dataset(
            data["train"], tokenizer, _backbone(11), _backbone(30), 2, sequence_length=8
        )
