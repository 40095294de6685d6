"""The connector's web layer: templates, the base layout, the stylesheet."""
