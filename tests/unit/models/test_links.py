"""The address a message gives, as a daily digest lists it: cut clean of the words around it."""

from __future__ import annotations

from models.links import first_link


def test_the_first_link_of_a_message_is_cut_clean() -> None:
    sheet = "督办单：督办〔2024〕1号（查看、签收和回复：https://zg.example/signin/12.1796000000.***?next=/duban/2024-1）"
    assert first_link(
        sheet + "\n如何报送进展：打开 https://zg.example/signin/12.1.***?next=/m/X 签收任务"
    ) == ("https://zg.example/signin/12.1796000000.***?next=/duban/2024-1")
    assert first_link("督办单：督办〔2024〕1号（查看：http://testserver/duban/2024-1）") == (
        "http://testserver/duban/2024-1"
    )
    assert first_link("如何报送进展：登录整改系统或执行 zhenggai report add") == ""
