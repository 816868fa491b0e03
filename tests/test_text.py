from triage.text import CleanedText, clean_text, compose_text, html_to_text


def test_html_is_reduced_to_visible_text_with_entities_decoded():
    cleaned = clean_text("<div>I&#39;m done waiting.&nbsp;I will speak to my <b>lawyer</b> tomorrow.</div>")
    assert cleaned.text == "I'm done waiting. I will speak to my lawyer tomorrow."
    assert cleaned.removed == ("html",)


def test_link_targets_and_attributes_are_dropped():
    text = html_to_text('<p>Export help</p><a href="https://example.com/legal/privacy" title="media">Privacy</a>')
    assert "legal" not in text and "media" not in text and "Privacy" in text


def test_script_and_style_content_is_not_text():
    assert html_to_text("<style>p{color:red}</style><p>Hi</p><script>var x=1</script>").strip() == "Hi"


def test_html_footer_after_a_signature_dash_line_is_cut():
    raw = (
        '<p>How do I export my data to CSV?</p><p>--<br><a href="https://example.com/legal/privacy">Privacy</a>'
        ' | <a href="https://example.com/media-kit">Press kit</a></p>'
    )
    cleaned = clean_text(raw)
    assert cleaned.text == "How do I export my data to CSV?"
    assert cleaned.removed == ("html", "signature")
    assert cleaned.removed_parts == (("signature", "--\nPrivacy | Press kit"),)


def test_marked_html_quotes_and_signatures_are_cut():
    raw = (
        '<div>Hello, my invoice is wrong.</div><div class="gmail_signature">Jo Smith, Legal Counsel</div>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Support wrote:</div>'
        '<blockquote class="gmail_quote">We are sorry.</blockquote></div>'
    )
    cleaned = clean_text(raw)
    assert cleaned.text == "Hello, my invoice is wrong."
    assert cleaned.removed == ("html", "quoted reply", "signature")
    assert cleaned.removed_parts == (("quoted reply", "On Mon, Support wrote:\n\nWe are sorry."), ("signature", "Jo Smith, Legal Counsel"))


def test_an_address_in_angle_brackets_is_not_html():
    raw = "Still waiting.\n\nOn Mon, 3 Jun 2024 at 09:12, Jane Doe <jane@example.com>\nwrote:\n> my lawyer"
    cleaned = clean_text(raw)
    assert cleaned.text == "Still waiting."
    assert cleaned.removed == ("quoted reply",)


def test_quoted_reply_after_wrote_header_is_cut():
    raw = "Thanks, all fine now.\n\nOn Mon, 3 Jun 2024 at 09:12, customer wrote:\n> I will contact my lawyer."
    cleaned = clean_text(raw)
    assert cleaned.text == "Thanks, all fine now."
    assert cleaned.removed == ("quoted reply",)
    assert cleaned.original == raw
    assert cleaned.removed_parts == (("quoted reply", "On Mon, 3 Jun 2024 at 09:12, customer wrote:\n> I will contact my lawyer."),)


def test_quote_marker_lines_are_removed_but_a_fully_quoted_text_is_kept():
    assert clean_text("New question here\n> old text\n> more old text").text == "New question here"
    assert clean_text("> only a quote").text == "> only a quote"


def test_outlook_original_message_block_is_cut():
    raw = "Please cancel.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nWe are sorry"
    assert clean_text(raw).text == "Please cancel."


def test_helpdesk_reply_marker_cuts_the_thread_below_it():
    raw = "The export works now, thanks!\n\n##- Please type your reply above this line -##\n\nAgent: Your case is escalated to legal."
    cleaned = clean_text(raw)
    assert cleaned.text == "The export works now, thanks!"
    assert cleaned.removed == ("quoted reply",)


def test_a_forwarded_message_below_the_customers_note_is_cut():
    raw = (
        "See below, still broken.\n\n---------- Forwarded message ---------\nFrom: Support <support@x.com>\n"
        "Date: Mon, 3 Jun 2024\nSubject: Your ticket\n\nOur legal team reviewed your case."
    )
    cleaned = clean_text(raw)
    assert cleaned.text == "See below, still broken."
    assert cleaned.removed == ("forwarded message",)


def test_a_ticket_that_is_only_a_forward_keeps_the_message_without_its_header():
    raw = "---------- Forwarded message ---------\nFrom: Bob <bob@x.com>\nDate: Mon, 3 Jun 2024\nSubject: Outage\n\nThe site is down for everyone."
    cleaned = clean_text(raw)
    assert cleaned.text == "The site is down for everyone."
    assert cleaned.removed == ("forwarded header",)
    outlook = "________________________________\nFrom: Bob <bob@x.com>\nSent: Monday\nTo: Support\nSubject: FW: outage\n\nThe site is down."
    assert clean_text(outlook).text == "The site is down."


def test_the_name_block_under_a_closing_is_a_signature():
    raw = "Please update the billing address on our account.\n\nBest regards,\nJane Doe\nLegal Counsel | Acme Corp\n+1 555 0100"
    cleaned = clean_text(raw)
    assert cleaned.text == "Please update the billing address on our account.\n\nBest regards,"
    assert cleaned.removed_parts == (("signature", "Jane Doe\nLegal Counsel | Acme Corp\n+1 555 0100"),)


def test_words_after_a_closing_that_are_no_name_stay():
    assert clean_text("Thanks\nI will sue you if this is not fixed.").removed == ()
    assert clean_text("Regards,\nJo\n\nPS: my lawyer has a copy.").removed == ()
    assert clean_text("Why is this still open?\nThanks,\nJohn\nMy lawyer is copied.").removed == ()


def test_mobile_signatures_are_cut():
    cleaned = clean_text("The app crashes when I upload a photo.\n\nSent from my iPhone")
    assert (cleaned.text, cleaned.removed) == ("The app crashes when I upload a photo.", ("signature",))
    assert clean_text("It is broken.\nGet Outlook for Android").text == "It is broken."


def test_legal_disclaimer_footers_are_cut():
    raw = (
        "Please reset my password.\n\nThis e-mail and any attachments are confidential and may be privileged. "
        "If you are not the intended recipient, please notify the sender and delete it."
    )
    cleaned = clean_text(raw)
    assert cleaned.text == "Please reset my password."
    assert cleaned.removed == ("disclaimer",)
    assert clean_text("Refund please.\nCONFIDENTIALITY NOTICE: this message is intended only for the addressee.").text == "Refund please."


def test_a_sentence_that_only_looks_like_a_disclaimer_stays():
    for text in (
        "If you are not the person I spoke to, please pass this on.",
        "Refund please.\nThis message is to tell you I was charged in error, my lawyer has a copy.",
        "Refund please.\nLegal notice: you charged me in error and my attorney will contact you.",
    ):
        assert clean_text(text).text == text


def test_rating_legends_and_survey_widgets_are_cut():
    raw = "I still have no refund.\n\nHow would you rate our support?\n1 - Terrible\n2 - Bad\n3 - Okay\n4 - Good\n5 - Excellent"
    cleaned = clean_text(raw)
    assert cleaned.text == "I still have no refund."
    assert cleaned.removed == ("bot text",)
    assert clean_text("Works now.\nWas this reply helpful? Yes / No").text == "Works now."


def test_auto_replies_and_notices_are_cut_even_when_nothing_is_left():
    cleaned = clean_text("This is an automated message. Your request #1234 has been received.\nPlease do not reply to this email.")
    assert cleaned == CleanedText("", ("bot text",))
    assert clean_text("My card was charged twice.\nSent via the help widget on example.com").text == "My card was charged twice."
    assert clean_text("I am out of the office until Monday.").text == ""


def test_customer_lines_that_resemble_bot_text_stay():
    for text in (
        "How do you rate limits on the API?",
        "Thanks for contacting me yesterday, we will need a refund.",
        "Your ticket has been updated but nothing changed.",
        "I'm out of the office and can't log in.",
        "Autoreply is not working in my inbox.",
    ):
        assert clean_text(text).text == text


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
