"""Deterministic, realistic Chinese SMB demo data (``kehu demo``)."""
