"""Business records the procedures act on; each module defines its tables and registers its
service-task operators on import."""
from . import complaint, contract, customer, tour  # noqa: F401
