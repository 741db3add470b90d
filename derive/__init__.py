"""Config to specs: what the renderers and components take, derived once from the typed config."""
