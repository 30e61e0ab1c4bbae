"""Conformance: the toolkit's numbers against numbers the field's references printed."""
