"""Leaf helpers every layer may use: files, the state directory and its journal, redaction, tables."""
