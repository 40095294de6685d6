"""Zero-install insights: the connector posts an incident's insights as one work note on it (``service``),
then the new posts of the service health issues that note named (``health_updates``)."""
