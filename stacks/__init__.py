"""Stack-level code: typed config, composition of the components, and the offline plan."""
