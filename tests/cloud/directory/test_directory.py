import pytest
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.cloud.directory import service
from m365bridge.cloud.directory.roles import GLOBAL_ADMIN, SUPPORT_ENGINEER
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import Conflict, UserError
from tests.cloud.people import TENANT, add_admin, add_person


def test_a_helpdesk_admin_of_the_tenant_is_a_tenant_admin(cloud_context):
    email, _ = add_admin(cloud_context)
    with transaction(cloud_context.sessions) as session:
        assert service.is_tenant_admin(session, TENANT, email.upper())
        assert not service.is_tenant_admin(session, "another-tenant", email)


def test_people_without_an_admin_role_or_inactive_are_not_tenant_admins(cloud_context):
    add_person(cloud_context, "user@contoso.com", "Password-1", tenant=TENANT, roles=[])
    email, _ = add_admin(cloud_context)
    with transaction(cloud_context.sessions) as session:
        service.set_active(session, email, False)
    with transaction(cloud_context.sessions) as session:
        assert not service.is_tenant_admin(session, TENANT, "user@contoso.com")
        assert not service.is_tenant_admin(session, TENANT, email)


def test_passwords_are_stored_as_argon2_hashes(cloud_context):
    email, password = add_admin(cloud_context)
    with transaction(cloud_context.sessions) as session:
        user = service.get_user(session, email)
        assert user.password_hash.startswith("$argon2")
        assert password not in user.password_hash
        assert service.authenticate(session, email, password) is not None
        assert service.authenticate(session, email, "wrong-password") is None


def test_unknown_roles_and_duplicate_emails_are_refused(cloud_context):
    add_admin(cloud_context)
    with transaction(cloud_context.sessions) as session:
        with pytest.raises(UserError, match="unknown role"):
            service.create_user(
                session,
                email="x@contoso.com",
                display_name="",
                password="Password-1",
                tenant_id=TENANT,
                roles=["Wizard"],
            )
        with pytest.raises(Conflict):
            service.create_user(
                session,
                email="ADMIN@contoso.onmicrosoft.com",
                display_name="",
                password="Password-1",
                tenant_id=TENANT,
            )


def test_cli_creates_lists_and_grants(tmp_path):
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    created = runner.invoke(
        app,
        [
            "cloud",
            "directory",
            "user",
            "create",
            "--email",
            "eng@microsoft.example",
            "--password",
            "Password-1",
            "--role",
            SUPPORT_ENGINEER,
            *data,
        ],
    )
    assert created.exit_code == 0, created.output
    bad = runner.invoke(
        app, ["cloud", "directory", "user", "grant", "eng@microsoft.example", "--role", GLOBAL_ADMIN, *data]
    )
    assert bad.exit_code != 0
    listed = runner.invoke(app, ["cloud", "directory", "user", "list", *data])
    assert "eng@microsoft.example" in listed.output
    assert SUPPORT_ENGINEER in listed.output
