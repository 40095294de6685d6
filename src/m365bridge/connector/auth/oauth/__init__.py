"""The connector's own OAuth server (``/oauth_token.do``), its clients and the tokens it issues."""
