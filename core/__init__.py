"""Neutral core of the product: the shared types, the one `Settings`, and reading ticket JSON.

Every other package imports from here; this package imports nothing of ours.
"""
