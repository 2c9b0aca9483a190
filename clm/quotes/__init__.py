"""Configure, price, quote: the catalog, pricing rules and quotes that become contracts."""
