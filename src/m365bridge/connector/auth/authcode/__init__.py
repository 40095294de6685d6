"""The built-in service desk's OAuth authorization-code grant (``/oauth_auth.do``), as ServiceNow has it."""
