"""What an agent fills in to contact Microsoft support (or to change a case's ticket details), checked before
anything is sent. Pages and the API build it; ``service`` sends it."""

from __future__ import annotations

from dataclasses import dataclass

from m365bridge.connector.support.schemas import ContactDetails
from m365bridge.shared.errors import UserError, check_max_length

CONTACT_METHODS = ("email", "phone")
# The support service's lengths for a case's texts (its API refuses anything longer): a too-long field is
# refused here, with the form kept, before anything is sent.
TITLE_MAX = 300
DESCRIPTION_MAX = 32000
MESSAGE_MAX = 32000
NAME_MAX = 200
EMAIL_MAX = 320
PHONE_MAX = 60


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
        check_max_length("Title", self.title, TITLE_MAX)
        check_max_length("Description", self.description, DESCRIPTION_MAX)
        self.check_contact_lengths()

    def check_contact_lengths(self) -> None:
        check_max_length("Contact name", self.contact_name.strip(), NAME_MAX)
        check_max_length("Contact email", self.contact_email.strip(), EMAIL_MAX)
        check_max_length("Contact phone", self.contact_phone.strip(), PHONE_MAX)

    def contact(self) -> ContactDetails:
        return ContactDetails(
            name=self.contact_name.strip(),
            email=self.contact_email.strip(),
            phone=self.contact_phone.strip(),
            preferred_contact_method=self.preferred_contact_method,
        )
