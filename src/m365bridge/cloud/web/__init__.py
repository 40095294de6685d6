"""The cloud's web layout: templates, styles and the page renderer every cloud page uses."""
