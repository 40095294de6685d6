"""Imports every model module of the cloud so that Alembic and ``create_all`` see the whole schema."""

from m365bridge.cloud.cases import models as _cases  # noqa: F401
from m365bridge.cloud.connectors import models as _connectors  # noqa: F401
from m365bridge.cloud.db import Base
from m365bridge.cloud.directory import models as _directory  # noqa: F401
from m365bridge.cloud.graph import models as graph_models  # noqa: F401
from m365bridge.cloud.identity import models as identity_models  # noqa: F401
from m365bridge.cloud.integration import models as _integration  # noqa: F401
from m365bridge.cloud.knowledge import models as knowledge_models  # noqa: F401

__all__ = ["Base"]
