"""Search: full-text search over every version, with filters on extracted and confirmed terms."""
