"""Performance measurements of o365diag next to its peers (``make bench``; not part of tests)."""
