"""Whether a teacher and a student can be distilled with the losses switched on."""


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
    heads_t, heads_s = teacher.backbone.num_heads, student.backbone.num_heads
    if enabled["attention"] and heads_t != heads_s and not average_attention_heads:
        raise ValueError(
            f"The teacher has {heads_t} attention heads and the student {heads_s}, so the "
            f"attention loss cannot match them head by head. Give the student {heads_t} "
            "heads, pass `average_attention_heads=True`, or set `attention_loss=False`."
        )
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
