from alembic import context

from m365bridge.cloud.models import Base
from m365bridge.shared.migrations_env import run_migrations

run_migrations(context, Base.metadata)
