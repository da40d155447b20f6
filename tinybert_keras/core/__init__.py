"""The distillation core: layerwise views of teacher and student, layer maps, TinyBERT's losses,
student shapes, the `Distiller`, and the learning-rate schedule.

Nothing here reads or writes files: the recipe (`tinybert_keras.recipe`) does that around it.
"""
