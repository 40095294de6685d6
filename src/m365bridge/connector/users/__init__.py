"""Connector users and their roles (ServiceNow's sys_user and sys_user_has_role)."""
