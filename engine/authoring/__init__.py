"""Authoring: deployed definitions, their checks, forms, the changes between versions."""
