"""HTML views, one module per group of pages."""
