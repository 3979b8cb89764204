"""Text extraction and permission-aware full-text search (issue 3)."""
