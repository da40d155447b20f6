"""What a stage checks before it claims its folder: read from the models' configs, not the models.

A stage that fails after writing `run.json` and training nothing may be rerun with corrected
settings, but a failure after scoring the teacher or building the models wastes that time, and
building a model draws from the random-number generator that seeds the stage's own models. So
the checks that can fail (head counts, layer map, sequence length, student shape, whether the
teacher is a classifier of the task) read each model's `config.json` (keras-hub's or Hugging
Face's) and run before anything is written or built. A config that cannot be read here (a hub
that cannot be reached) leaves the checks to the models, which make them again when built.
"""

import keras

from tinybert_keras.core import pairing
from tinybert_keras.core.students import student_shape
from tinybert_keras.recipe import presets
from tinybert_keras.recipe.inputs import student_kind

# Hugging Face's names of the `pairing.SHAPE` settings (what keras-hub's converter reads).
HF_NAMES = {"vocab_size": "vocabulary_size", "num_hidden_layers": "num_layers",
            "num_attention_heads": "num_heads", "hidden_size": "hidden_dim",
            "max_position_embeddings": "max_sequence_length"}


def backbone_shape(model, teacher=None):
    """The `pairing.SHAPE` of a model argument's backbone, read without building it.

    Args:
        model: a preset (name, folder, handle), a Keras model, or a student shape (then
            `teacher` gives its vocabulary and positions, as `student_backbone` does).
        teacher: the teacher's shape, for a student shape.

    Returns:
        A dict, or `None` when the config cannot be read (or a shape has no teacher's).

    Raises:
        ValueError: for a student shape that `student_backbone` would refuse.

    Example:
    ```python
    backbone_shape("all_minilm_l6_v2")["num_layers"]  # 6
    ```
    """
    if isinstance(model, keras.Model):
        return pairing.shape_of(model)
    if student_kind(model) == "shape":
        shape = student_shape(model)
        if teacher is None:
            return None
        return {**{name: shape.get(name) for name in pairing.SHAPE},
                "vocabulary_size": teacher["vocabulary_size"],
                "max_sequence_length": teacher["max_sequence_length"]}
    try:
        config = presets.preset_json(model, "config.json")
    except (OSError, ValueError, ImportError):
        return None
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("config"), dict):
        config = config["config"]
    else:
        config = {HF_NAMES[key]: value for key, value in config.items() if key in HF_NAMES}
    return config if all(name in config for name in pairing.SHAPE) else None


def check_models(teacher, student, settings, sequence_length):
    """Checks a teacher and a student for a layerwise stage, from their configs.

    Args:
        teacher: the teacher argument of the stage (a preset or model).
        student: the student argument (a shape, a preset or a model).
        settings: the stage's `GeneralSettings` or `DistillSettings` (layer map, attention
            switches).
        sequence_length: the packed length of the stage's inputs.

    Raises:
        ValueError: naming what does not fit (see `tinybert_keras.core.pairing.check_pair`).

    Example:
    ```python
    check_models("bert_base_en_uncased", "tinybert_4", GeneralSettings(), 128)
    ```
    """
    shapes = {"teacher": backbone_shape(teacher)}
    shapes["student"] = backbone_shape(student, shapes["teacher"])
    for role, model in (("teacher", teacher), ("student", student)):
        if shapes[role] is not None:
            pairing.check_length(shapes[role], sequence_length, f"the {role} ({_name(model)})")
    if None not in shapes.values():
        pairing.check_pair(shapes["teacher"], shapes["student"], settings.layer_map,
                           settings.attention_loss, settings.average_attention_heads)


def check_model_length(model, sequence_length):
    """Checks that a model (preset or object) has positions for the task's packed length.

    Args:
        model: a preset or Keras model.
        sequence_length: the packed length.

    Raises:
        ValueError: if the model has fewer positions.

    Example:
    ```python
    check_model_length("bert_base_en_uncased", 128)
    ```
    """
    shape = backbone_shape(model)
    if shape is not None:
        pairing.check_length(shape, sequence_length, f"the model ({_name(model)})")


def _name(model):
    return model.name if isinstance(model, keras.Model) else str(model)
