"""What an agent fills in to contact Microsoft support (or to change a case's ticket details), checked before
anything is sent. Pages and the API build it; ``service`` sends it."""

from __future__ import annotations

from dataclasses import dataclass

from m365bridge.connector.support.schemas import ContactDetails
from m365bridge.shared.errors import UserError

CONTACT_METHODS = ("email", "phone")


@dataclass(frozen=True)
class ContactRequest:
    title: str
    description: str
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    preferred_contact_method: str = "email"

    def check(self) -> None:
        if not self.title.strip():
            raise UserError("Give the service request a title.")
        if not self.contact_name.strip() or not self.contact_email.strip():
            raise UserError("Give the contact's name and email.")
        if self.preferred_contact_method not in CONTACT_METHODS:
            raise UserError("The preferred contact method is email or phone.")
        if self.preferred_contact_method == "phone" and not self.contact_phone.strip():
            raise UserError("Give a phone number when the preferred contact method is phone.")

    def contact(self) -> ContactDetails:
        return ContactDetails(
            name=self.contact_name.strip(),
            email=self.contact_email.strip(),
            phone=self.contact_phone.strip(),
            preferred_contact_method=self.preferred_contact_method,
        )
