"""wippy/common/ids.py: random UUIDs as str(uuid.uuid4()) would give them."""
import re
import uuid

from wippy.common.ids import uuid4

CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


def test_version_4_rfc_4122_canonical_and_unique():
    seen = set()
    for _ in range(2000):
        text = uuid4()
        assert CANONICAL.match(text), text
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
        seen.add(text)
    assert len(seen) == 2000
