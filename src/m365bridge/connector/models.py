"""Imports every model module of the connector so that Alembic and ``create_all`` see the whole schema."""

from m365bridge.connector.auth.allowlist import models as allowlist_models  # noqa: F401
from m365bridge.connector.auth.authcode import models as authcode_models  # noqa: F401
from m365bridge.connector.auth.oauth import models as oauth_models  # noqa: F401
from m365bridge.connector.auth.oidc import models as oidc_models  # noqa: F401
from m365bridge.connector.auth.servicenow import models as servicenow_signin_models  # noqa: F401
from m365bridge.connector.auth.sessions import models as sessions_models  # noqa: F401
from m365bridge.connector.cases import models as cases_models  # noqa: F401
from m365bridge.connector.db import Base
from m365bridge.connector.health import models as health_models  # noqa: F401
from m365bridge.connector.incidents import models as incidents_models  # noqa: F401
from m365bridge.connector.insights import models as insights_models  # noqa: F401
from m365bridge.connector.logs import models as logs_models  # noqa: F401
from m365bridge.connector.registry import models as registry_models  # noqa: F401
from m365bridge.connector.servicedesk import models as servicedesk_models  # noqa: F401
from m365bridge.connector.servicenow import models as servicenow_models  # noqa: F401
from m365bridge.connector.setup import models as setup_models  # noqa: F401
from m365bridge.connector.users import models as users_models  # noqa: F401
from m365bridge.connector.worknotes import models as worknotes_models  # noqa: F401

__all__ = ["Base"]
