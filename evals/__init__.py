"""Evaluation harness: `python -m evals` runs the product on datasets in the shared data format."""
