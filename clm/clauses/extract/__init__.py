"""clauses/extract."""
