"""Marshmallow schemas at the API edge: they list every field they accept, nothing more."""
