"""No third-party dataset text in the project (evals/dataset_leaks.py). The matcher's tests build a tiny
synthetic copy of the three datasets' formats (every line below was written for this test); the real scan
reads ../shared/datasets and skips where that folder is absent."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import ROOT, SHARED_DATASETS

from evals import dataset_leaks as dl

ZH_LEAK = "这款电饭煲的内胆涂层用久了会不会掉"
ZH_TURN = "好的 我们这边核实一下仓库里的实际库存再回复您"  # the second clause alone is quoted below
EN_LEAK = "Honestly I would rather give my money to the food bank down the street."
EN_MASKED = "[PERSON_NAME] told me the premium goes up every single year anyway."
EN_BOUNDARY = "We can send the whole signed form over by email"


@pytest.fixture
def datasets(tmp_path):
    """The three datasets' file formats, a few invented lines each."""
    root = tmp_path / "datasets"
    jddc = root / "jddc-sample-zh"
    jddc.mkdir(parents=True)
    rows = [("s1", "0", "在吗"), ("s1", "1", "好的谢谢"), ("s1", "0", ZH_LEAK), ("s2", "1", ZH_TURN)]
    (jddc / "chat.tsv").write_text("".join(f"{s}\tu\t{who}\t0\t0\tnan\t{text}\n" for s, who, text in rows),
                                   encoding="utf-8")
    for folder, name, header, lines in (
        ("persuasionforgood-en", "dialogs.csv", ["dialogue", "turn", "role", "text"],
         [["d1", "0", "persuadee", "Ok thanks."], ["d1", "1", "persuadee", EN_LEAK]]),
        ("agentune-insurance-calls", "messages.csv", ["conversation_id", "timestamp", "message", "author"],
         [["c1", "t", EN_MASKED, "Customer"], ["c1", "t", EN_BOUNDARY, "Agent"]]),
    ):
        (root / folder).mkdir()
        with (root / folder / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(lines)
    return root


def _scan(datasets, tmp_path, files: dict[str, str], reviewed=frozenset()):
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    index, prefix = dl.build_index(dl.dataset_lines(datasets), reviewed=reviewed)
    return dl.scan(sorted(project / n for n in files), index, prefix, project)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_copied_line_is_found_through_changed_punctuation_spacing_and_case(datasets, tmp_path, lang):
    text = {"zh": f'CASES = [\n    ("{ZH_LEAK[:7]}，{ZH_LEAK[7:]}？", 1),\n]\n',
            "en": f'"""Docs.\n\nA customer said: {EN_LEAK.upper().replace(" MONEY", "  money")}!!\n"""\n'}[lang]
    hits = _scan(datasets, tmp_path, {"leak.py": text})
    assert [(h.path, h.line, h.dataset) for h in hits] == [
        ("leak.py", 2, "jddc-sample-zh") if lang == "zh" else ("leak.py", 3, "persuasionforgood-en")]
    assert hits[0].row == (2 if lang == "zh" else 1) and hits[0].text == ""  # text only with show=True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_near_misses_and_stock_phrases_are_not_hits(datasets, tmp_path, lang):
    text = {"zh": "这款电饭锅的内胆涂层用久了会不会掉\n好的谢谢\n在吗\n",  # one character changed; short stock lines
            "en": "Ok thanks.\nHonestly I would rather give my money to the food bank up the street.\n"
                  "We can send the whole signed form over by emailing it\n"}[lang]  # a word differs; a longer word
    assert _scan(datasets, tmp_path, {"near.md": text}) == []


def test_one_sentence_of_a_longer_turn_and_a_masked_line_are_found(datasets, tmp_path):
    hits = _scan(datasets, tmp_path, {"notes.md": "理由：我们这边，核实一下仓库里的实际库存再回复您。\n\n"
                                                   "Maria told me the premium goes up every single year anyway.\n"})
    assert [(h.line, h.dataset) for h in hits] == [(1, "jddc-sample-zh"), (3, "agentune-insurance-calls")]


def test_json_escapes_and_lines_wrapped_in_a_file_are_still_matched(datasets, tmp_path):
    escaped = json.dumps({"text": ZH_LEAK}) + "\n"  # ensure_ascii: \uXXXX in the file
    wrapped = "- a reply\n  that ran: honestly I would rather give my\n  money to the food bank down the street\n"
    hits = _scan(datasets, tmp_path, {"a.jsonl": escaped, "b.md": wrapped})
    assert [(h.path, h.line) for h in hits] == [("a.jsonl", 1), ("b.md", 2)]


def test_a_reviewed_formula_is_skipped_by_its_sha_not_its_text(datasets, tmp_path):
    files = {"pairs.jsonl": json.dumps({"reply": ZH_LEAK}, ensure_ascii=False) + "\n"}
    assert len(_scan(datasets, tmp_path, files)) == 1
    assert _scan(datasets, tmp_path, files, reviewed={dl.unit_sha(dl.normalise(ZH_LEAK))}) == []


def test_the_threshold_counts_cjk_characters_and_english_words():
    assert dl.weight(dl.normalise("好的，谢谢！")) < 1 <= dl.weight(dl.normalise("麻烦帮我查一下物流"))
    assert dl.weight(dl.normalise("Ok, thanks so much.")) < 1 <= dl.weight(dl.normalise(EN_BOUNDARY))


def test_the_reviewed_list_holds_shas_and_reasons_only():
    rows = [json.loads(line) for line in dl.REVIEWED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows and all(set(r) == {"sha", "dataset", "row", "why"} and r["dataset"] in dl.DATASETS for r in rows)
    assert len(dl.load_reviewed()) == len(rows)


def test_without_the_datasets_the_command_says_where_they_belong(tmp_path, capsys):
    assert dl.main(["--datasets", str(tmp_path / "nowhere")]) == 2
    assert "../shared/datasets" in capsys.readouterr().err


@pytest.mark.skipif(not dl.datasets_present(SHARED_DATASETS),
                    reason="../shared/datasets is absent (a fresh clone has none): nothing to scan against")
def test_the_project_holds_no_dataset_text():
    hits = dl.find_leaks(SHARED_DATASETS, ROOT)
    assert not hits, "dataset text in the project (python -m evals.dataset_leaks --show to see it):\n" + "\n".join(
        f"{h.path}:{h.line}: {h.dataset} row {h.row}, {h.length} characters" for h in hits)
