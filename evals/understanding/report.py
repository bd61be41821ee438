"""Turn the understanding report into the lines ``coach eval understanding`` prints (real words first)."""

from __future__ import annotations


def _ci(figures: dict, name: str) -> str:
    """The 95 % interval over conversations as " [low–high]", or "" where the report has none."""
    low_high = figures.get(f"{name}_ci95")
    return f" [{low_high[0]:.3f}–{low_high[1]:.3f}]" if low_high else ""


def text_lines(report: dict) -> list[str]:
    out = []
    dev = report.get("real_dev", {})
    if "skipped" in dev:
        out.append(f"real dev sets: skipped ({dev['skipped']})")
    else:
        for name in ("jddc_customer_zh", "persuasion_en"):
            t = dev[name]["test"]
            out.append(f"[real {name}, test half] binary F1 {t['binary_f1']:.3f}{_ci(t, 'binary_f1')}  type macro-F1 "
                       f"{t['type_macro_f1']:.3f}{_ci(t, 'type_macro_f1')}  (n={t['n']}, objections={t['objections']})")
        r = dev["jddc_replies_zh"]["test"]
        out.append(f"[real jddc_replies_zh, test half] Spearman {r['spearman']:.3f}{_ci(r, 'spearman')} (n={r['n']})")
        agree = report.get("annotator_agreement", {})
        if "jddc_customer_zh" in agree:
            a, b, c = (agree[k]["test"] for k in ("jddc_customer_zh", "persuasion_en", "jddc_replies_zh"))
            out.append(f"[second annotator vs the first, test halves] binary F1 {a['binary_f1']:.3f} (JDDC) / "
                       f"{b['binary_f1']:.3f} (Persuasion)  reply Spearman {c['spearman']:.3f}: the ceiling for the lines above")
    cal = report.get("calibration")
    if cal:
        out.append(f"[calibration] ECE of P(objection) on the real test halves {cal['ece_real_test']:.3f} "
                   f"(n={cal['n']}){'  plot: ' + cal['plot'] if cal.get('plot') else ''}")
    p = report.get("parity", {})
    if p.get("n"):
        out.append(f"[parity, {p['n']} parallel pairs] Spearman(zh, en) {p['spearman_zh_en']:.3f}  "
                   f"mean gap {p['mean_gap_zh_minus_en']:+.1f}")
    for key, value in report.get("team_heldout", {}).items():
        out.append(f"[team-written held-out {key}] " + "  ".join(f"{k} {v}" for k, v in value.items()))
    for lang, value in report.get("team_original_heldout", {}).items():
        out.append(f"[team-written original held-out {lang}] detection macro-F1 {value['detection_macro_f1']:.3f}  "
                   f"grading Spearman {value['grading_spearman']:.3f}")
    moves = report.get("rep_moves", {})
    for key in ("agentune_test_real_words", "jddc_test_real_words", "heldout_team_written"):
        if key in moves:
            m = moves[key]
            out.append(f"[rep moves, {key}] macro F1 {m['macro_f1']} vs cues {m['macro_f1_cues']} (n={m['lines']})")
    return out
