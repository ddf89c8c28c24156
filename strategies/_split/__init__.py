"""Internals of the split-package strategy: source model, analysis, and the rewrites."""
