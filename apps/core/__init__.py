"""Pieces below every app: nothing here imports from apps.*."""
