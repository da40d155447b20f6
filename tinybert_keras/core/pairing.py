"""Whether a teacher and a student can be distilled with the losses switched on."""


def check_heads(teacher_heads, student_heads, average_heads=False):
    """Checks that the attention loss can compare a teacher's and a student's attention scores.

    Args:
        teacher_heads: the teacher's number of attention heads.
        student_heads: the student's.
        average_heads: whether the scores are compared head-averaged (any counts then fit).

    Raises:
        ValueError: for different head counts compared head by head, saying what to change.

    Example:
    ```python
    check_heads(12, 12)
    check_heads(16, 12, average_heads=True)
    ```
    """
    if teacher_heads != student_heads and not average_heads:
        raise ValueError(
            f"The teacher has {teacher_heads} attention heads and the student {student_heads}, "
            "so the attention loss cannot match them head by head. Give the student "
            f"{teacher_heads} heads, pass `average_attention_heads=True` to compare head-averaged "
            "score maps, or set `attention_loss=False`."
        )


def check_pair(teacher, student, enabled, average_attention_heads=False):
    """Checks, before anything runs, that a teacher and a student fit the switched-on losses.

    Both must read the same token ids; the attention loss needs equal head counts (unless heads
    are averaged); the prediction and label losses need classifiers, with equal class counts for
    the prediction loss.

    Args:
        teacher: the teacher's `LayerwiseBert`.
        student: the student's `LayerwiseBert`.
        enabled: a dict from loss term (`"attention"`, `"prediction"`, `"label"`, ...) to whether
            it is on.
        average_attention_heads: whether attention maps are compared head-averaged.

    Raises:
        ValueError: saying what does not fit and what to change.

    Example:
    ```python
    import keras_hub
    from tinybert_keras.core.layerwise import LayerwiseBert
    def bert(layers, width):
        return LayerwiseBert(keras_hub.models.BertBackbone(
            vocabulary_size=100, num_layers=layers, num_heads=2, hidden_dim=width,
            intermediate_dim=2 * width))
    check_pair(bert(4, 16), bert(2, 8), {"attention": True, "prediction": False,
                                         "label": False})
    ```
    """
    vocab_t, vocab_s = teacher.backbone.vocabulary_size, student.backbone.vocabulary_size
    if vocab_t != vocab_s:
        raise ValueError(
            f"The teacher's vocabulary has {vocab_t} tokens and the student's {vocab_s}: both "
            "must read the same token ids. Build the student with the teacher's vocabulary, "
            "e.g. `student_backbone(config, teacher=teacher)`."
        )
    if enabled["attention"]:
        check_heads(teacher.backbone.num_heads, student.backbone.num_heads,
                    average_attention_heads)
    for term in ("prediction", "label"):
        if not enabled[term]:
            continue
        roles = [("student", student)] + ([("teacher", teacher)] if term == "prediction" else [])
        for role, view in roles:
            if not view.is_classifier:
                raise ValueError(
                    f"The {term} loss compares classifier logits, but the {role} is a bare "
                    f"{type(view.model).__name__}. Wrap it in "
                    "`keras_hub.models.BertTextClassifier(backbone, num_classes)`, or switch "
                    f"the {term} loss off."
                )
    if enabled["prediction"]:
        classes_t, classes_s = teacher.model.num_classes, student.model.num_classes
        if classes_t != classes_s:
            raise ValueError(
                f"The teacher predicts {classes_t} classes and the student head {classes_s}. "
                f"Build the student classifier with num_classes={classes_t}, in the teacher's "
                "label order."
            )
