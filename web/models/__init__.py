"""Process owners' models area: versions, the editor, check and deploy, moving running requests."""
from . import deploy, edit, migrate, replay, versions  # noqa: F401 - their views join the blueprint
from .area import bp

__all__ = ["bp"]
