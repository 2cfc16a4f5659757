"""Declarations (申报): declaring payables, the tax core's answer, voiding (作废)."""
