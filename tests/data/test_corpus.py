import pathlib

import keras_hub
import numpy as np
import pytest

from tinybert_keras.data import corpus_sentences, split_sentences, text_corpus_dataset

CORPUS = pathlib.Path(__file__).parent.parent / "fixtures" / "corpus"
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def tokenizer():
    words = {w.strip(".!?\"()").lower() for _, s in corpus_sentences(CORPUS) for w in s.split()}
    return keras_hub.models.BertTokenizer(
        vocabulary=VOCABULARY + sorted(words) + [".", "!", "?", '"'], lowercase=True
    )


def test_split_sentences():
    text = 'It rained. "Really?" she asked!  He said "go." Then 3 cats (all wet.) Left. e.g. no'
    assert split_sentences(text) == [
        "It rained.", '"Really?" she asked!', 'He said "go."', "Then 3 cats (all wet.)",
        "Left. e.g. no",
    ]


def test_sentences_are_numbered_by_document_across_files():
    sentences = list(corpus_sentences(CORPUS))
    assert [document for document, _ in sentences] == [0, 0, 0, 0, 1, 1, 2, 2, 2]
    assert sentences[2] == (0, "Was the alpha plan any good?")
    assert sentences[6] == (2, "Gamma rays are a form of light.")
    assert list(corpus_sentences([CORPUS / "more" / "gamma.txt"])) == [
        (0, sentence) for _, sentence in sentences[6:]
    ]
    with pytest.raises(FileNotFoundError, match="No corpus file"):
        list(corpus_sentences(CORPUS / "missing.txt"))


def _sequences(dataset, tokenizer):
    texts = []
    for x in dataset:
        assert set(x) == {"token_ids", "segment_ids", "padding_mask"}
        assert not np.any(x["segment_ids"])
        for ids, mask in zip(x["token_ids"].numpy(), x["padding_mask"].numpy()):
            length = int(mask.sum())
            assert ids[0] == 2 and ids[length - 1] == 3 and not np.any(ids[length:])
            texts.append(tokenizer.detokenize(ids[1:length - 1]))
    return texts


def test_packs_consecutive_sentences_within_a_document(tokenizer):
    texts = _sequences(text_corpus_dataset(CORPUS, tokenizer, sequence_length=16, batch_size=2),
                       tokenizer)
    assert texts[0] == "the alpha team met on monday . alpha members agreed on a plan !"
    for text in texts:
        assert sum(word in text for word in ("alpha", "beta", "gamma")) == 1
    assert any(text.count(".") == 2 for text in texts)


def test_long_sentences_are_cut(tokenizer):
    dataset = text_corpus_dataset(CORPUS / "alpha.txt", tokenizer, sequence_length=6, batch_size=4)
    texts = _sequences(dataset, tokenizer)
    assert texts[:2] == ["the alpha team met", "alpha members agreed on"]


def test_rejects_a_missing_path_and_a_non_tokenizer(tokenizer):
    with pytest.raises(FileNotFoundError):
        text_corpus_dataset(CORPUS / "nope", tokenizer)
    with pytest.raises(TypeError, match="keras-hub tokenizer"):
        text_corpus_dataset(CORPUS, tokenizer=None)
