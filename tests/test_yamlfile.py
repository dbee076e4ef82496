"""Reading a file: YAML 1.2 by yaml-rs, as the survey import writes it; what is not one
mapping named with its line in PyYAML's words, what only YAML 1.2 refuses at yaml-rs's line
and column; the strict loader (PyYAML's, for those words) refuses a key given twice in any
mapping at any depth (PyYAML keeps the last one silently)."""

import datetime as dt
import io
import shutil
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from tcd.loading import load_inventory
from tcd.loading.yamlfile import DuplicateKeyError, StrictLoader, parse_yaml
from tcd.survey.merge import merged_text
from tcd.survey.reader import SurveyEntry

from .conftest import INVENTORY


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "outer:\n  inner: 1\n  inner: 2\n",
        "list:\n  - {x: 1, x: 2}\n",
        "base: &b {k: 1}\nother:\n  <<: *b\n  j: 1\n  j: 2\n",
    ],
    ids=["top", "nested", "in a list", "beside a merge key"],
)
def test_a_key_given_twice_is_refused_at_any_depth(text):
    with pytest.raises(DuplicateKeyError, match="appears twice"):
        yaml.load(text, Loader=StrictLoader)


def test_a_merged_key_given_again_is_not_a_duplicate():
    text = "base: &b {kind: tv, size_inch: 43}\nother:\n  <<: *b\n  size_inch: 55\n"
    assert yaml.load(text, Loader=StrictLoader) == yaml.safe_load(text)


def test_unknown_tags_are_still_refused():
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("a: !python/object:os.system x\n", Loader=StrictLoader)


def test_the_inventory_is_yaml_1_2_as_the_survey_import_writes_it(tmp_path):
    """ruamel.yaml (the survey import) writes a surveyed "yes", "on" or "12:30" unquoted, as
    YAML 1.2 allows; read as YAML 1.1 (PyYAML) they would come back as true, true and 750."""
    typed = {"respondent": "yes", "note": "on", "time": "12:30", "code": "0755", "n": 7}
    out = io.StringIO()
    YAML(typ="rt").dump({"survey": typed}, out)
    assert "respondent: yes" in out.getvalue()  # unquoted
    source, problems = parse_yaml(tmp_path / "s.yml", out.getvalue())
    assert problems == [] and source is not None
    assert source.data == {"survey": typed}


def test_what_the_survey_import_writes_says_the_same_in_yaml_1_1_and_1_2():
    """Strings either version would read as something else are quoted: 'yes', 'on', 'y' and
    '12:30' for 1.1, '1e3' and '0o17' for 1.2, '0755' and 'null' for both."""
    typed = ["yes", "on", "y", "N", "12:30", "1e3", "0o17", "0755", "null", "~", "Debian 12"]
    (path,) = INVENTORY.glob("sites/26380-*.yml")
    entry = SurveyEntry(path, 26380, {"notes": typed}, {"kind": "tslcd", "provider": "yes"})
    text = merged_text(path.read_text(encoding="utf-8"), entry)
    assert "- Debian 12\n" in text  # what needs no quotes has none
    source, problems = parse_yaml(path, text)
    assert problems == [] and source is not None
    assert source.data["survey"] == {"notes": typed}
    assert source.data["uplink"]["provider"] == "yes"
    assert source.data == yaml.load(text, Loader=StrictLoader)


def test_a_byte_order_mark_is_not_part_of_the_first_key(tmp_path):
    source, problems = parse_yaml(tmp_path / "s.yml", "\ufeffcode: 26380\n")
    assert problems == [] and source is not None and source.data == {"code": 26380}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: 1\n---\nb: 2\n", 2, "invalid YAML: but found another document"),
        ("- 1\n- 2\n", 1, "expected a mapping of keys at the top, got a list"),
        ("a: 1\nb: [2\n", 3, "invalid YAML: did not find expected ',' or ']'"),
        ("a: 1\na: 2\n", 2, "invalid YAML: key 'a' appears twice in this mapping"),
    ],
    ids=["two documents", "a list", "unclosed bracket", "key twice"],
)
def test_what_is_not_one_mapping_is_named_with_its_line(tmp_path, text, line, reason):
    source, problems = parse_yaml(tmp_path / "s.yml", text)
    assert source is None
    assert [(p.line, p.reason.split(" (")[0]) for p in problems] == [(line, reason)]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: 1\nb: [2,\n3]\n", 3, "invalid YAML 1.2 at column 1: invalid indentation in flow"),
        # U+0085 (NEL, what a Windows-1252 '…' becomes when read as Latin-1) ends a line in
        # YAML 1.1, not in 1.2: there the rest of the line is more of the value
        ("a: 1\nb: x\x85c: 2\n", 2, "invalid YAML 1.2 at column 7: mapping values are not"),
        ("a: 1\nb:\n  c: !!bool yes\n", 3, "invalid YAML 1.2 at column 6: invalid value 'yes'"),
        ("a: 1\nb: !!int 1:30\n", 2, "invalid YAML 1.2 at column 4: invalid value '1:30'"),
        ("a: 1\nb: !!timestamp 2025-06-01\n", 2, "invalid YAML 1.2 at column 4: invalid tag"),
        ("a: 1\nb:\n  1: x\n  0x1: y\n", 4, "invalid YAML 1.2 at column 3: key 1 appears twice"),
        ("a: 1\nb:\n- c: 1\n  true: x\n  True: y\n", 5, "invalid YAML 1.2 at column 3: key True"),
    ],
    ids=[
        "continuation at the margin",
        "NEL",
        "1.1 boolean",
        "1.1 sexagesimal",
        "1.1 timestamp",
        "1 and 0x1",
        "true and True",
    ],
)
def test_what_only_yaml_1_2_refuses_is_named_at_its_line_and_column(tmp_path, text, line, reason):
    """PyYAML (YAML 1.1, and lenient) reads these; the place is yaml-rs's, or that of the tag
    yaml-rs names."""
    yaml.load(text, Loader=StrictLoader)
    source, problems = parse_yaml(tmp_path / "s.yml", text)
    assert source is None
    assert [(p.line, p.reason[: len(reason)]) for p in problems] == [(line, reason)]


def test_every_committed_file_reads_the_same_as_yaml_1_1():
    """Moving the reader from PyYAML (1.1) to yaml-rs (1.2) changed nothing in the data there
    is: no committed inventory file holds a value the two versions read differently (dates are
    left as their text for the models to read, so PyYAML's dates are compared as ISO text)."""
    paths = sorted(INVENTORY.rglob("*.yml"))
    assert len(paths) > 95
    for path in paths:
        text = path.read_text(encoding="utf-8")
        source, problems = parse_yaml(path, text)
        assert problems == [] and source is not None, path
        assert source.data == _dates_as_text(yaml.load(text, Loader=StrictLoader)), path


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_a_quoted_date_stays_text_and_a_survey_date_is_still_a_date(tmp_path):
    """yaml-rs 0.1.6 reads even a quoted "2025-01-01" as a date: the reader leaves dates as
    text, and the models read the ones they declare."""
    path = tmp_path / "x.yml"
    source, problems = parse_yaml(path, 'name: "2025-01-01"\nwhen: 2025-10-05\n')
    assert problems == [] and source is not None
    assert source.data == {"name": "2025-01-01", "when": "2025-10-05"}
    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    site = next((inventory / "sites").glob("26380-*.yml"))
    survey = {"date": dt.date(2025, 10, 5), "respondent": "Văn phòng UBND", "notes": "2025-01-01"}
    entry = SurveyEntry(site, 26380, survey, {"kind": "tslcd", "bandwidth_mbps": 100})
    site.write_text(merged_text(site.read_text(encoding="utf-8"), entry), encoding="utf-8")
    surveyed = load_inventory(inventory).sites[26380].survey
    assert surveyed.date == dt.date(2025, 10, 5) and surveyed.notes == "2025-01-01"
