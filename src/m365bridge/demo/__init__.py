"""``m365bridge demo``: both sides on loopback with demo data, set up end to end.

The demo is the one place that composes both sides, as an operator running both organisations would: it
starts each side's app and provisions each through that side's own services, passing values between them
only as a person would copy them from one portal to the other.
"""
