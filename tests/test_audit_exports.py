"""Reading ConvertTo-Json exports the ways PowerShell writes them, and clear errors otherwise."""

from __future__ import annotations

import codecs
import json
import subprocess
from pathlib import Path

import pytest

from o365diag.setup.exports import ExportError, parse_export, read_export
from tests.conftest import REPO

SAMPLES = REPO / "sample_exports"
CONNECTOR = {
    "Name": "Relay from Scanner 01",
    "Identity": "Relay from Scanner 01",
    "ConnectorType": "OnPremises",
    "Enabled": True,
    "RequireTls": True,
    "SenderIPAddresses": ["203.0.113.25"],
    "SenderDomains": ["smtp:*;1"],
}
TRANSPORT = {
    "Identity": "Transport Settings",
    "SmtpClientAuthenticationDisabled": True,
    "AllowLegacyTLSClients": False,
    "MaxRecipientEnvelopeLimit": "500",
}


def encoded(value: object, codec: str, bom: bytes = b"") -> bytes:
    return bom + json.dumps(value, indent=4).replace("\n", "\r\n").encode(codec)


@pytest.mark.parametrize(
    ("codec", "bom", "label"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 LE (BOM)"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 BE (BOM)"),
        ("utf-16-le", b"", "UTF-16 LE"),
        ("utf-8", codecs.BOM_UTF8, "UTF-8 (BOM)"),
        ("utf-8", b"", "UTF-8"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32 LE (BOM)"),
    ],
)
@pytest.mark.parametrize("shape", ["object", "array"])
def test_every_powershell_encoding_and_shape_loads(
    codec: str, bom: bytes, label: str, shape: str
) -> None:
    value: object = CONNECTOR if shape == "object" else [CONNECTOR, {**CONNECTOR, "Name": "B"}]
    export = parse_export(encoded(value, codec, bom), "x.json")
    assert export.encoding == label
    assert export.kinds == ["InboundConnector"]
    assert len(export.objects) == (1 if shape == "object" else 2)
    assert export.objects[0].items("SenderIPAddresses") == ["203.0.113.25"]


def test_windows_code_page_text_loads() -> None:
    value = {**CONNECTOR, "Comment": "Kopierer Büro"}
    export = parse_export(json.dumps(value, ensure_ascii=False).encode("cp1252"), "x.json")
    assert export.encoding == "Windows-1252"
    assert export.objects[0].text("Comment") == "Kopierer Büro"


def test_windows_powershell_array_wrapper_and_appended_documents() -> None:
    wrapped = {"value": [CONNECTOR, TRANSPORT], "Count": 2}
    export = parse_export(json.dumps(wrapped).encode(), "x.json")
    assert export.kinds == ["InboundConnector", "TransportConfig"]
    appended = (json.dumps(CONNECTOR) + "\r\n" + json.dumps([TRANSPORT]) + "\r\n").encode()
    assert [o.kind for o in parse_export(appended, "x.json").objects] == [
        "InboundConnector",
        "TransportConfig",
    ]


def test_property_names_match_without_case_and_values_are_normalised() -> None:
    value = {
        "name": "R",
        "connectortype": "Partner",
        "REQUIRETLS": "False",
        "senderipaddresses": {"value": ["192.0.2.1", "192.0.2.10-192.0.2.20"], "Count": 2},
        "TlsSenderCertificateName": "<I>CN=Example CA<S>CN=copier.example.com, O=Example",
    }
    obj = parse_export(json.dumps(value).encode(), "x.json").objects[0]
    assert obj.flag("RequireTls") is False
    assert [entry for entry, _nets in obj.networks("SenderIPAddresses")] == [
        "192.0.2.1",
        "192.0.2.10-192.0.2.20",
    ]
    assert sum(n.num_addresses for n in obj.networks("SenderIPAddresses")[1][1]) == 11
    assert obj.evidence("RequireTls").endswith("REQUIRETLS = False")  # as the file spells it


@pytest.mark.parametrize(
    ("properties", "kind"),
    [
        (CONNECTOR, "InboundConnector"),
        (
            {
                "Name": "O",
                "ConnectorType": "Partner",
                "SmartHosts": ["mx.example.net"],
                "TlsSettings": None,
            },
            "OutboundConnector",
        ),
        (TRANSPORT, "TransportConfig"),
        ({"SmtpClientAuthenticationDisabled": False}, "TransportConfig"),
        (
            {
                "PrimarySmtpAddress": "a@example.com",
                "SmtpClientAuthenticationDisabled": None,
                "ImapEnabled": False,
            },
            "CASMailbox",
        ),
        ({"Name": "Default", "IPAllowList": []}, "HostedConnectionFilterPolicy"),
        ({"Name": "p", "AllowBasicAuthSmtp": False}, "AuthenticationPolicy"),
        ({"Name": "o", "RejectDirectSend": True}, "OrganizationConfig"),
    ],
)
def test_the_kind_comes_from_the_properties(properties: dict[str, object], kind: str) -> None:
    assert parse_export(json.dumps(properties).encode(), "x.json").kinds == [kind]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF16_LE + "  \r\n".encode("utf-16-le"), "empty"),
        (b"[]", "no objects"),
        (b'#TYPE Deserialized.Microsoft.Exchange\r\n"Name","Enabled"\r\n', "Export-Csv"),
        (b"Name                : Relay\r\nRequireTls          : True\r\n", "Format-List"),
        (b"Name  Enabled\r\n----  -------\r\nRelay True\r\n", "Format-Table"),
        (b'<Objs Version="1.1.0.1"></Objs>', "XML"),
        (b'{"Name": "Relay", "ConnectorType": "OnPremises", ', "not valid JSON at line 1"),
        (b"42", "not JSON (it should start with"),
        (b'{"Name": "o", "RejectDirectSend": true} 42', "not an object or array"),
        (b'[{"Name": "a"}, 7]', "item 2 of the array is int"),
        (b'{"Shoe": "size 9"}', "is not one of InboundConnector"),
        (
            b'{"ConnectorType": "Partner", "SenderIPAddresses": [], "SmartHosts": [],'
            b' "IPAllowList": []}',
            "has properties of InboundConnector and HostedConnectionFilterPolicy",
        ),
        (b"hello", "not JSON"),
        (b"[" * 100_000, "nested too deeply"),
        (codecs.BOM_UTF16_LE + b"{\x00\x00", "not valid UTF-16 LE (BOM) text"),
    ],
)
def test_bad_exports_give_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(ExportError) as info:
        parse_export(data, "bad.json")
    assert message in str(info.value)
    assert str(info.value).startswith("bad.json")


@pytest.mark.parametrize(
    ("properties", "accessor", "message"),
    [
        ({**CONNECTOR, "RequireTls": "maybe"}, ("flag", "RequireTls"), "is not True or False"),
        (
            {**CONNECTOR, "SenderIPAddresses": ["203.0.113.300"]},
            ("networks", "SenderIPAddresses"),
            "is not an IP address",
        ),
        (
            {**CONNECTOR, "SenderIPAddresses": "System.Collections.ArrayList"},
            ("items", "SenderIPAddresses"),
            "ConvertTo-Json -Depth 5",
        ),
        ({**CONNECTOR, "SenderIPAddresses": 17}, ("items", "SenderIPAddresses"), "expected a list"),
    ],
)
def test_bad_values_name_the_object_and_setting(
    properties: dict[str, object], accessor: tuple[str, str], message: str
) -> None:
    obj = parse_export(json.dumps(properties).encode(), "c.json").objects[0]
    method, name = accessor
    with pytest.raises(ExportError) as info:
        getattr(obj, method)(name)
    text = str(info.value)
    assert message in text and "Relay from Scanner 01" in text and name in text


def test_the_shipped_samples_load_and_one_is_utf16() -> None:
    encodings = {}
    for path in sorted(SAMPLES.glob("*/*.json")):
        export = read_export(path)
        encodings[path.name] = export.encoding
        assert len(export.kinds) == 1, path
    assert "UTF-16 LE (BOM)" in encodings.values()
    assert "UTF-8 (BOM)" in encodings.values()
    assert "UTF-8" in encodings.values()


def test_missing_file_is_an_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot read"):
        read_export(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name : Relay\r\n", "Format-List output"),
        (b'{"Shoe": 1}', "is not one of"),
        (
            b'{"ConnectorType": "OnPremises", "SenderIPAddresses": ["999.1.1.1"]}',
            "is not an IP address",
        ),
    ],
)
def test_cli_reports_bad_exports_in_one_line_with_exit_2(
    tmp_path: Path, python: str, cli_env: dict[str, str], content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = subprocess.run(
        [python, "-m", "o365diag", "audit", str(bad)],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
