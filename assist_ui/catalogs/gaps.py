"""English and Korean labels of the gaps views."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {}
