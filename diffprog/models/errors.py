"""The one error of model loading."""


class ModelError(ValueError):
    """A model name that is not known, or weights that cannot be read."""
