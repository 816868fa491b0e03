from triage.text import clean_text, compose_text, html_to_text


def test_html_is_reduced_to_visible_text_with_entities_decoded():
    cleaned = clean_text("<div>I&#39;m done waiting.&nbsp;I will speak to my <b>lawyer</b> tomorrow.</div>")
    assert cleaned.text == "I'm done waiting. I will speak to my lawyer tomorrow."
    assert cleaned.removed == ("html",)


def test_link_targets_and_attributes_are_dropped():
    text = html_to_text('<p>Export help</p><a href="https://example.com/legal/privacy" title="media">Privacy</a>')
    assert "legal" not in text and "media" not in text and "Privacy" in text


def test_script_and_style_content_is_not_text():
    assert html_to_text("<style>p{color:red}</style><p>Hi</p><script>var x=1</script>").strip() == "Hi"


def test_quoted_reply_after_wrote_header_is_cut():
    raw = "Thanks, all fine now.\n\nOn Mon, 3 Jun 2024 at 09:12, customer wrote:\n> I will contact my lawyer."
    cleaned = clean_text(raw)
    assert cleaned.text == "Thanks, all fine now."
    assert cleaned.removed == ("quoted reply",)


def test_quote_marker_lines_are_removed_but_a_fully_quoted_text_is_kept():
    assert clean_text("New question here\n> old text\n> more old text").text == "New question here"
    assert clean_text("> only a quote").text == "> only a quote"


def test_outlook_original_message_block_is_cut():
    raw = "Please cancel.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nWe are sorry"
    assert clean_text(raw).text == "Please cancel."


def test_plain_text_is_untouched_apart_from_whitespace():
    assert clean_text("  Where is   my parcel?\r\n\r\n\r\nThanks ") == clean_text("Where is my parcel?\n\nThanks")
    assert clean_text("Where is   my parcel?").removed == ()


def test_a_lone_less_than_sign_is_not_html():
    assert clean_text("Speed is < 5 Mbps, I <3 your app").text == "Speed is < 5 Mbps, I <3 your app"


def test_missing_values_give_empty_text():
    assert clean_text(None).text == ""
    assert clean_text(float("nan")).text == ""


def test_compose_text_joins_subject_and_body():
    assert compose_text("Refund", "Where is it?") == "Refund\n\nWhere is it?"
    assert compose_text("", "Body only") == "Body only"
    assert compose_text("Subject only", "  ") == "Subject only"
