"""The model shapes the benchmarks time, TF-free (`multi_worker.py` reads them before any of its
processes imports TensorFlow)."""

BERT_BASE = {"num_layers": 12, "hidden_dim": 768, "intermediate_dim": 3072, "num_heads": 12}
# `--small`: a MiniLM-sized teacher and the demo's 3x192 student.
SMALL_TEACHER = {"num_layers": 6, "hidden_dim": 384, "intermediate_dim": 1536, "num_heads": 12}
SMALL_STUDENT = {"num_layers": 3, "hidden_dim": 192, "intermediate_dim": 768, "num_heads": 12}
# The bert-base-uncased WordPiece vocabulary; ids below 1000 are special and unused tokens.
VOCABULARY_SIZE = 30522
FIRST_WORD_ID = 1000
