from coproduce.platform.templatetags.plain_text import bulleted


def test_it_turns_dash_lines_into_a_list_and_escapes_everything():
    html = bulleted("Intro <b>\n- one\n- two & three\nOutro")
    assert html == (
        "<p>Intro &lt;b&gt;</p><ul><li>one</li><li>two &amp; three</li></ul><p>Outro</p>"
    )
