"""Storage: the database, the models, the instance state's JSON, the unit of work."""
