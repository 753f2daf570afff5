"""What the staff side refuses, and how it is answered."""

from __future__ import annotations


class StaffRefused(Exception):
    """Answered with ``status`` and ``detail`` (and ``headers``), nothing else done."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
