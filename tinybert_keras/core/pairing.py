"""What a teacher and a student must share to be distilled, checked from their shapes alone.

The `Distiller` checks its two models with `check_models` (the shapes by `check_pair`, plus the
classifier heads its switched-on losses need), and the stages of `tinybert_keras.recipe` check the
shapes from the models' configs before they build anything, so a wrong layer map or head count is
reported before a stage writes its folder or scores its teacher.
"""

from tinybert_keras.core import layer_maps

SHAPE = ("vocabulary_size", "num_layers", "num_heads", "hidden_dim", "max_sequence_length")
"""The backbone settings `check_pair` reads."""


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


def shape_of(backbone):
    """The `SHAPE` settings of a keras-hub `BertBackbone` (or of a classifier's backbone).

    Args:
        backbone: a keras-hub `BertBackbone`, or a task model with a `backbone`.

    Returns:
        A dict from each name of `SHAPE` to its value.

    Example:
    ```python
    import keras_hub
    shape_of(keras_hub.models.BertBackbone(vocabulary_size=100, num_layers=2, num_heads=2,
                                           hidden_dim=8, intermediate_dim=16))["num_layers"]  # 2
    ```
    """
    inner = getattr(backbone, "backbone", None)
    backbone = backbone if inner is None else inner
    return {name: getattr(backbone, name) for name in SHAPE}


def check_pair(teacher, student, layer_map="uniform", attention_loss=True,
               average_attention_heads=False, sequence_length=None):
    """Checks that a student can learn from a teacher's layers, and returns the layer map.

    Args:
        teacher: the teacher backbone's shape, a dict with the names of `SHAPE` (`shape_of`).
        student: the student backbone's shape, the same.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        attention_loss: whether attention scores are matched head by head.
        average_attention_heads: whether head-averaged maps are compared instead.
        sequence_length: the packed length of the inputs, if known; both models must have that
            many positions.

    Returns:
        The layer map, `(0, g(1), ..., g(M))` (see `tinybert_keras.core.layer_maps.layer_map`).

    Raises:
        ValueError: naming what differs and what to change.

    Example:
    ```python
    teacher = {"vocabulary_size": 100, "num_layers": 4, "num_heads": 2, "hidden_dim": 16,
               "max_sequence_length": 16}
    check_pair(teacher, {**teacher, "num_layers": 2, "hidden_dim": 8})  # (0, 2, 4)
    ```
    """
    vocab_t, vocab_s = teacher["vocabulary_size"], student["vocabulary_size"]
    if vocab_t != vocab_s:
        raise ValueError(
            f"The teacher's vocabulary has {vocab_t} tokens and the student's {vocab_s}: both "
            "must read the same token ids. Build the student with the teacher's vocabulary, "
            "e.g. `student_backbone(config, teacher=teacher)`."
        )
    if attention_loss:
        check_heads(teacher["num_heads"], student["num_heads"], average_attention_heads)
    if sequence_length is not None:
        for role, shape in (("teacher", teacher), ("student", student)):
            check_length(shape, sequence_length, f"the {role}")
    return layer_maps.layer_map(layer_map, student["num_layers"], teacher["num_layers"])


def check_length(shape, sequence_length, name="the model"):
    """Checks that a model has a position for every token of a packed sequence.

    Args:
        shape: the backbone's shape (`shape_of`), or any dict with `max_sequence_length`.
        sequence_length: the packed length of the inputs.
        name: what to call the model in the message.

    Raises:
        ValueError: if `sequence_length` exceeds the model's `max_sequence_length`.

    Example:
    ```python
    check_length({"max_sequence_length": 512}, 128)
    ```
    """
    positions = shape["max_sequence_length"]
    if sequence_length > positions:
        raise ValueError(
            f"sequence_length is {sequence_length} but {name} has only {positions} positions "
            f"(max_sequence_length): set sequence_length to at most {positions}."
        )


def check_models(teacher, student, enabled, layer_map="uniform", average_attention_heads=False):
    """Checks two built models against the switched-on losses, and returns the layer map.

    Both must pass `check_pair`; the prediction and label losses need classifiers, with equal
    class counts for the prediction loss.

    Args:
        teacher: the teacher's `LayerwiseBert`.
        student: the student's `LayerwiseBert`.
        enabled: a dict from loss term (`"attention"`, `"prediction"`, `"label"`, ...) to whether
            it is on.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        average_attention_heads: whether attention maps are compared head-averaged.

    Returns:
        The layer map, as `check_pair` returns it.

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
    check_models(bert(4, 16), bert(2, 8), {"attention": True, "prediction": False,
                                           "label": False})  # (0, 2, 4)
    ```
    """
    indices = check_pair(shape_of(teacher.backbone), shape_of(student.backbone), layer_map,
                         enabled["attention"], average_attention_heads)
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
    return indices
