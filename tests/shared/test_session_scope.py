"""Every endpoint commits before it answers: ``get_session`` is always declared with the function scope."""

import re
from pathlib import Path

import m365bridge

SOURCE = Path(m365bridge.__file__).parent
REQUEST_SCOPED = re.compile(r"Depends\(get_(write_)?session\)")


def test_no_endpoint_commits_after_its_response():
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if REQUEST_SCOPED.search(line)
    ]
    assert offenders == [], "declare Depends(get_session, scope='function') in: " + ", ".join(offenders)
