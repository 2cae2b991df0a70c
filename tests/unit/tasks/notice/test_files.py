"""Notice files, versions and the generation's artifact (tasks.notice.files)."""

from __future__ import annotations

import re


def test_artifact_key_is_lowercase_letters_digits_and_dashes() -> None:
    from tasks.notice.files import artifact_key

    assert artifact_key("xinhua-2023-xc2") == "notice-xinhua-2023-xc2"
    assert artifact_key("Xinhua 2023/巡察") == "notice-xinhua-2023"
    assert artifact_key("巡察") == "notice-round"
    assert re.fullmatch(r"[a-z0-9-]+", artifact_key("A_B.C"))
