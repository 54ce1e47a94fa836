"""Kind.validate returns (field, message) pairs and `wippy check` prints each as
`file:line: entry: field: message`. The env kinds once returned bare strings, which the
plan unpacked as pairs: `wippy check` then ended in "internal error: ValueError"."""
from __future__ import annotations

import subprocess
import sys

INDEX = """version: "1.0"
namespace: app
entries:
  - name: store
    kind: env.storage.memory
  - name: router
    kind: env.storage.router
    storages: []
  - name: static
    kind: env.storage.static
    values:
      nested: {a: 1}
  - name: file
    kind: env.storage.file
    file_path: ./data/.env
    file_mode: "rw"
  - name: var
    kind: env.variable
    storage: store
    variable: "bad-name"
"""


def test_every_env_validation_is_reported_with_its_entry_and_field(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_index.yaml").write_text(INDEX)
    (tmp_path / "wippy.lock").write_text("directories:\n  modules: .wippy\n  src: ./src\n")
    out = subprocess.run([sys.executable, "-m", "wippy", "check"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "internal error" not in out.stdout + out.stderr
    assert out.stdout.splitlines()[:4] == [
        "src/_index.yaml:8: app:router: storages: list at least one storage",
        "src/_index.yaml:12: app:static: values.nested: must be a string, number or boolean, "
        "got a mapping",
        "src/_index.yaml:16: app:file: file_mode: must be an octal file mode such as 0600, "
        "got 'rw'",
        "src/_index.yaml:20: app:var: variable: 'bad-name' may contain only letters, digits "
        "and _"], out.stdout
