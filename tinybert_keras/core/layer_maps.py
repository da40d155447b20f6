"""Which teacher layer each student layer learns from."""

import numbers

STRATEGIES = ("uniform", "top", "bottom")


def layer_map(strategy, student_layers, teacher_layers):
    """The TinyBERT layer mapping `g`: student layer `m` learns from teacher layer `g(m)`.

    Layer 0 is the embedding layer on both sides and always maps to 0; layers `1..M` are the
    student's Transformer layers and map into the teacher's `1..N`.

    - `"uniform"` (the paper's default): `g(m) = m * N / M`; `N` must be a multiple of `M`.
    - `"top"`: `g(m) = m + N - M`, the teacher's last `M` layers.
    - `"bottom"`: `g(m) = m`, the teacher's first `M` layers.
    - an explicit list of `M` teacher layers (1-based), one per student layer, for example
      `[3, 6, 9, 12]` for a 4-layer student of a 12-layer teacher.

    Args:
        strategy: `"uniform"`, `"top"`, `"bottom"`, or a list of `M` ints in `1..N`.
        student_layers: `M`, the student's number of Transformer layers.
        teacher_layers: `N`, the teacher's number of Transformer layers.

    Returns:
        A tuple of `M + 1` ints, `(0, g(1), ..., g(M))`: index it with a student hidden-state index
        (0 = embeddings) to get the teacher hidden-state index. The attention scores of student
        layer `m` are matched to those of teacher layer `g(m)`.

    Example:
    ```python
    layer_map("uniform", student_layers=4, teacher_layers=12)  # (0, 3, 6, 9, 12)
    layer_map([2, 4, 6], student_layers=3, teacher_layers=6)  # (0, 2, 4, 6)
    ```
    """
    m, n = student_layers, teacher_layers
    if m < 1 or n < 1:
        raise ValueError(f"Layer counts must be positive; got student {m}, teacher {n}.")
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise ValueError(
                f"Unknown layer map {strategy!r}: use one of {', '.join(STRATEGIES)} or a list of "
                f"{m} teacher layers."
            )
        if m > n:
            raise ValueError(
                f"The student has more layers ({m}) than the teacher ({n}), so no {strategy!r} "
                "map exists; pass an explicit list (layers may repeat)."
            )
        if strategy == "uniform":
            if n % m:
                raise ValueError(
                    f"A uniform map needs the teacher depth ({n}) to be a multiple of the student "
                    f"depth ({m}). Use 'top' or 'bottom', or pass an explicit list of {m} teacher "
                    f"layers, e.g. {_spread(m, n)}."
                )
            mapped = [i * n // m for i in range(1, m + 1)]
        elif strategy == "top":
            mapped = [i + n - m for i in range(1, m + 1)]
        else:
            mapped = list(range(1, m + 1))
    else:
        mapped = list(strategy)
        if len(mapped) != m:
            raise ValueError(
                f"The layer map lists {len(mapped)} teacher layers but the student has {m} "
                f"Transformer layers: give exactly one teacher layer (1..{n}) per student layer."
            )
        bad = [
            layer for layer in mapped
            if isinstance(layer, bool) or not isinstance(layer, numbers.Integral)
            or not 1 <= layer <= n
        ]
        if bad:
            raise ValueError(
                f"Layer map entries must be teacher layers in 1..{n} (the embedding layer 0 is "
                f"always mapped to 0 and is not listed); got {bad} in {mapped}."
            )
        check_order(mapped)
    return (0, *(int(layer) for layer in mapped))


def check_order(layers):
    """Refuses an explicit map that goes down: a higher student layer from a lower teacher layer.

    Every map of the paper is monotone (uniform, top, bottom), and so are the official code's:
    each student layer learns from a teacher layer at or above the one its lower neighbour
    learns from, so the student's layers keep the teacher's order of abstraction. A map such as
    `[3, 1]` would teach the student's top layer the teacher's first layer, which no result of
    the paper supports; it is refused rather than trained silently. Repeats (`[2, 2]`) are
    allowed: a student deeper than its teacher needs them.

    Args:
        layers: the explicit map, one teacher layer per student layer.

    Raises:
        ValueError: naming the first student layer whose teacher layer is lower than its
            predecessor's.

    Example:
    ```python
    check_order([3, 6, 9, 12])
    ```
    """
    for student_layer, (lower, upper) in enumerate(zip(layers, layers[1:]), start=2):
        if upper < lower:
            raise ValueError(
                f"The layer map {list(layers)} goes down at student layer {student_layer} "
                f"(teacher layer {upper} after {lower}); maps must keep the teacher's layer "
                f"order, as all of the paper's do. Use {sorted(layers)}, or a named map "
                f"({', '.join(STRATEGIES)})."
            )


def _spread(m, n):
    return [round(i * n / m) for i in range(1, m + 1)]
