"""The outbound OAuth registry (ServiceNow's ``oauth_entity`` and its profiles) and the token client."""
