"""The cloud: the Microsoft side: identity, Graph service health, support."""
