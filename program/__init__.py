"""The Pulumi program: specs to components, one dependency graph per stack."""
