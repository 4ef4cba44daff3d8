"""Tests of carevis.ingest: reading and writing SSDA903 and CIN census returns."""
