"""The support service's knowledge base: articles, their import, and recommended-solutions search."""
