"""Argo-style YAML workflows on Legato's engine: a manifest becomes one flow run, each
container, script or suspend node one task run keyed by its node path (see docs/yaml-workflows.md)."""
