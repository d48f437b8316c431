"""English and Korean labels of the audit views."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {}
