"""Conformance suite: the same scenarios through the official ibapi client and ib_async."""
