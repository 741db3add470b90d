"""Pure renderers: Kubernetes manifests and configuration files as plain data, tested without Pulumi."""
