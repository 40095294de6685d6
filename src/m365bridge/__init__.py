"""m365bridge: an open-source bridge between an IT service desk and Microsoft 365 support.

Two sides live in this package and never import each other:

- ``m365bridge.connector``: what ran inside ServiceNow (setup, users, inbound auth, incidents, the tab);
- ``m365bridge.cloud``: what Microsoft ran (Entra-compatible identity, Graph service health, support).

``m365bridge.shared`` holds protocol-neutral utilities that both may use.
"""

__version__ = "0.1.0"
