"""`approvals attach`, `attachments` and `download`: files for a start form and on a request, listed and saved
back byte for byte; every refusal one line with a non-zero exit."""
from __future__ import annotations

import hashlib
import json

from tests.engine.test_attachments import diagram_with, forms_with_attachments
from tests.engine.test_cli import cli  # noqa: F401 (fixture)
from tests.conftest import DATA
from tests.files import HTML, pdf, png


def test_attach_list_download_and_refusals(cli, tmp_path):  # noqa: F811
    forms = forms_with_attachments(tmp_path / "forms")
    cli.env["APPROVALS_FORMS_DIR"] = str(forms)
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(diagram_with(tmp_path)), "--as", "owen")
    photo, scan, page = tmp_path / "裂纹.png", tmp_path / "核实.pdf", tmp_path / "合同.pdf"
    photo.write_bytes(png())
    scan.write_bytes(pdf())
    page.write_bytes(HTML)

    staged = cli("attach", "--start", "small_approval", str(photo), "--as", "alice").stdout
    [line, hint] = staged.strip().splitlines()
    photo_id = int(line.split("\t")[0])
    assert line.split("\t")[1:4] == ["裂纹.png", "image/png", str(len(png()))] and hint.endswith(f"[{photo_id}]")
    started = json.loads(cli("--json", "start", "small_approval", "--as", "alice", "--data",
                             json.dumps({"customer": "甲", "amount": 5000, "photos": [photo_id]})).stdout)
    inst = started["instance"]["id"]
    added = json.loads(cli("--json", "attach", str(inst), str(scan), "--as", "bob").stdout)["attachments"]
    assert [(a["filename"], a["sha256"]) for a in added] == [("核实.pdf", hashlib.sha256(pdf()).hexdigest())]
    listed = cli("attachments", str(inst), "--as", "bob").stdout.strip().splitlines()
    assert [row.split("\t")[1] for row in listed] == ["裂纹.png", "核实.pdf"]
    assert listed[0].endswith("field photos") and listed[1].endswith("request")
    out = tmp_path / "copy.png"
    cli("download", str(photo_id), "--as", "bob", "--out", str(out))
    assert out.read_bytes() == png()

    def refused(*args) -> dict:
        proc = cli("--json", *args, ok=False)
        assert proc.returncode == 1
        return json.loads(proc.stdout)
    assert refused("attach", str(inst), str(page), "--as", "bob")["message"] == \
        "file: 合同.pdf is not a PDF file, whatever its name says"
    assert refused("attachments", str(inst), "--as", "mallory")["reason"] == "not_reader"
    assert refused("download", str(photo_id), "--as", "mallory")["reason"] == "not_reader"
    assert refused("download", str(photo_id), "--as", "bob", "--out", str(out))["message"].endswith("exists (--force overwrites it)")
    assert refused("attach", str(inst), str(tmp_path / "missing.pdf"), "--as", "bob")["message"].startswith("cannot read")
    assert "name the request's id" in refused("attach", str(scan), "--as", "bob")["message"]
    assert refused("attach", "--start", "small_approval", str(photo), "--task", "1", "--as", "alice")["message"] \
        == "--task needs a request, not --start"
