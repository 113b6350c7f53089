"""Figures: one module per paper figure, one function per panel (PNG + PDF via TargetRun)."""
