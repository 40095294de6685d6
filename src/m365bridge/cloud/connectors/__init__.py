"""Talking to a connector: the HTTP client of its Endpoint, the tokens to call it with, and the probe.

``cases`` (event delivery) and ``integration`` (Test connection) both call a connector through this
package; it depends on neither of them.
"""
