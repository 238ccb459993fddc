"""Tests of the IOVA allocator (C core, Python surface, pure-Python reference)."""
