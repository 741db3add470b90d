"""Cross-field checks and preflight: what is known before `pulumi up`, each finding keyed to the stack file."""
