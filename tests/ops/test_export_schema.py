"""`crm export-schema` writes the SDL the API serves: the committed schema.graphql."""

import subprocess
import sys
from pathlib import Path

from tests.ops.processes import ROOT, crm_env, run_crm


def test_export_schema_writes_the_committed_sdl(tmp_path: Path):
    # given
    output = tmp_path / "exported.graphql"

    # when
    done = run_crm("export-schema", "--output", str(output), env=crm_env(), cwd=tmp_path)

    # then
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert output.read_text(encoding="utf-8") == committed


def test_console_script_exports_the_same_schema(tmp_path: Path):
    # given: the `crm` console script installed beside this interpreter
    script = Path(sys.executable).parent / "crm"
    output = tmp_path / "exported.graphql"

    # when
    done = subprocess.run(
        [str(script), "export-schema", "--output", str(output)],
        env=crm_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then
    assert done.returncode == 0, done.stderr
    assert output.read_text(encoding="utf-8") == (ROOT / "schema.graphql").read_text(
        encoding="utf-8"
    )
