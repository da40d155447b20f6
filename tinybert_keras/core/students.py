"""TinyBERT student shapes, built as plain keras-hub `BertBackbone`s."""

import inspect

import keras_hub
import numpy as np

STUDENT_CONFIGS = {
    "tinybert_4": {"num_layers": 4, "hidden_dim": 312, "intermediate_dim": 1200, "num_heads": 12},
    "tinybert_6": {"num_layers": 6, "hidden_dim": 768, "intermediate_dim": 3072, "num_heads": 12},
}


def student_backbone(config="tinybert_4", teacher=None, vocabulary_size=None,
                     embeddings_from_teacher=False, **overrides):
    """A randomly initialised TinyBERT student, as a keras-hub `BertBackbone`.

    The student is an ordinary keras-hub model: after distillation it can be wrapped in a
    `keras_hub.models.BertTextClassifier`, saved with `save_to_preset`, and loaded by keras-hub
    alone. Its vocabulary, maximum sequence length and segment count come from the teacher, so
    both read the same token ids.

    Args:
        config: `"tinybert_4"` (4 layers, hidden 312, FFN 1200, 12 heads; 14.35M parameters with
            BERT's 30522-word vocabulary), `"tinybert_6"` (6, 768, 3072, 12), or a dict with
            `num_layers`, `hidden_dim`, `intermediate_dim` and `num_heads`.
        teacher: optional keras-hub `BertBackbone` or `BertTextClassifier` whose vocabulary size,
            `max_sequence_length` and `num_segments` the student takes.
        vocabulary_size: the vocabulary size when no teacher is given.
        embeddings_from_teacher: start from the teacher's embeddings projected to the student's
            width (`project_teacher_embeddings`) instead of random ones.
        **overrides: any other `BertBackbone` argument (e.g. `dropout`, `dtype`, or a shape entry).

    Returns:
        A `keras_hub.models.BertBackbone`.

    Example:
    ```python
    student = student_backbone("tinybert_4", vocabulary_size=30522)
    student.count_params()  # 14350248
    small = student_backbone(
        {"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        vocabulary_size=100)
    ```
    """
    if embeddings_from_teacher and teacher is None:
        raise ValueError("embeddings_from_teacher=True needs the teacher: pass teacher=.")
    config = student_shape(config)
    arguments = dict(config)
    if teacher is not None:
        backbone = getattr(teacher, "backbone", teacher)
        if vocabulary_size is not None and vocabulary_size != backbone.vocabulary_size:
            raise ValueError(
                f"vocabulary_size={vocabulary_size} differs from the teacher's "
                f"{backbone.vocabulary_size}; teacher and student must share one vocabulary, so "
                "leave vocabulary_size out."
            )
        arguments.update(
            vocabulary_size=backbone.vocabulary_size,
            max_sequence_length=backbone.max_sequence_length,
            num_segments=backbone.num_segments,
        )
    elif vocabulary_size is None:
        raise ValueError("Pass a teacher, or the vocabulary_size of the teacher's tokenizer.")
    else:
        arguments["vocabulary_size"] = vocabulary_size
    arguments = student_shape({**arguments, **overrides})
    student = keras_hub.models.BertBackbone(**arguments)
    if embeddings_from_teacher:
        project_teacher_embeddings(student, teacher)
    return student


def student_shape(config):
    """Checks a student shape without building it: its keys, and heads that divide its width.

    Args:
        config: `"tinybert_4"`, `"tinybert_6"`, or a dict with `num_layers`, `hidden_dim`,
            `intermediate_dim` and `num_heads`, and optionally any other `BertBackbone` argument.

    Returns:
        The shape as a dict.

    Raises:
        ValueError: for an unknown name, a missing or unknown key, or a `hidden_dim` that
            `num_heads` does not divide.

    Example:
    ```python
    student_shape("tinybert_4")["hidden_dim"]  # 312
    ```
    """
    if isinstance(config, str):
        if config not in STUDENT_CONFIGS:
            raise ValueError(
                f"Unknown student config {config!r}: use one of {sorted(STUDENT_CONFIGS)} or a "
                "dict with num_layers, hidden_dim, intermediate_dim and num_heads."
            )
        config = STUDENT_CONFIGS[config]
    missing = {"num_layers", "hidden_dim", "intermediate_dim", "num_heads"} - set(config)
    if missing:
        raise ValueError(f"The student config lacks {sorted(missing)}.")
    known = set(inspect.signature(keras_hub.models.BertBackbone).parameters) | {"name", "trainable"}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(
            f"The student config has {unknown}, which keras_hub.models.BertBackbone does not "
            f"take; its arguments are {sorted(known - {'kwargs'})}."
        )
    if config["hidden_dim"] % config["num_heads"]:
        raise ValueError(
            f"hidden_dim ({config['hidden_dim']}) must be divisible by num_heads "
            f"({config['num_heads']})."
        )
    return dict(config)


def project_teacher_embeddings(student, teacher):
    """Sets a student's embedding tables to the teacher's, projected onto their main directions.

    The teacher's token, position and segment embeddings are all projected onto the top
    `student.hidden_dim` principal directions of its token embeddings: the linear map to the
    student's width that keeps the most of how the teacher tells tokens apart. This is not in
    the paper, whose general distillation learns the student's embeddings from scratch over
    three epochs of Wikipedia; it gives a short general distillation (as on a CPU) a student
    whose embedding layer already carries the teacher's vocabulary knowledge.

    Args:
        student: a `keras_hub.models.BertBackbone` no wider than the teacher, with its
            vocabulary, position count and segment count.
        teacher: a keras-hub `BertBackbone` or `BertTextClassifier`.

    Returns:
        The student, changed in place.

    Example:
    ```python
    teacher = student_backbone(
        {"num_layers": 2, "hidden_dim": 16, "intermediate_dim": 32, "num_heads": 2},
        vocabulary_size=100)
    student = student_backbone(
        {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        teacher=teacher)
    project_teacher_embeddings(student, teacher)
    ```
    """
    teacher = getattr(teacher, "backbone", teacher)
    tables = {
        "token": (teacher.token_embedding.embeddings, student.token_embedding.embeddings),
        "position": (teacher.position_embedding.position_embeddings,
                     student.position_embedding.position_embeddings),
        "segment": (teacher.segment_embedding.embeddings, student.segment_embedding.embeddings),
    }
    advice = ("build the student from this teacher (student_backbone(..., teacher=teacher)) no "
              "wider than it.")
    if student.hidden_dim > teacher.hidden_dim:
        raise ValueError(
            f"The student (hidden_dim {student.hidden_dim}) is wider than the teacher "
            f"({teacher.hidden_dim}), so its embeddings cannot take a projection of the "
            f"teacher's: {advice}"
        )
    for name, (source, target) in tables.items():
        if source.shape[0] != target.shape[0]:
            raise ValueError(
                f"The student's {name} embeddings {tuple(target.shape)} cannot take a projection "
                f"of the teacher's {tuple(source.shape)}: {advice}"
            )
    tokens = np.asarray(tables["token"][0], dtype="float64")
    _, _, directions = np.linalg.svd(tokens - tokens.mean(axis=0), full_matrices=False)
    projection = directions[: student.hidden_dim].T
    for source, target in tables.values():
        target.assign((np.asarray(source, dtype="float64") @ projection).astype(target.dtype))
    return student
