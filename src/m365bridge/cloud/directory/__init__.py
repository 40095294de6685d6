"""People of each tenant (admins, support engineers) and the cloud UI's login."""
