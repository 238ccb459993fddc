"""Replaying the real-kernel transcripts of ``shared/conformance`` through iommush."""
