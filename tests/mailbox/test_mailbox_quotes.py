"""Quoted and forwarded messages in a body: each sender with their own words only."""

from __future__ import annotations

from email.message import EmailMessage

from carepanel.mailbox import parse_message
from carepanel.mailbox.quotes import find_quotes, own_text
from carepanel.models import QuotedMessage
from mailbox_samples import GMAIL_REPLY, OUTLOOK_FORWARD, email, raw


def test_outlook_forward_with_an_original_message_inside() -> None:
    assert find_quotes(OUTLOOK_FORWARD) == [
        QuotedMessage("tm.jones@example.gov.uk",
                      "Hi Sam,\n\nI am happy for this to go to panel on 25 November.\n\nTom Jones\nTeam Manager"),
        QuotedMessage("sam.carter@example.gov.uk",
                      "Tom, could you approve this request? I do not agree with the old plan."),
    ]
    assert own_text(OUTLOOK_FORWARD).endswith("Sam Carter\nSocial Worker")


def test_subject_lines_are_not_credited_as_the_managers_words() -> None:
    [first, _] = find_quotes(OUTLOOK_FORWARD)
    assert "approve" not in first.text.lower()


def test_gmail_reply_with_wrapped_attribution_and_nested_quote() -> None:
    quotes = find_quotes(GMAIL_REPLY)
    assert quotes == [
        QuotedMessage("tm.jones@example.gov.uk", "Agreed, go ahead.\n\nTom"),
        QuotedMessage("sam.carter@example.gov.uk", "Can you approve? I cannot agree to leave things as they are."),
    ]
    assert own_text(GMAIL_REPLY) == "Forwarding Tom's reply for the panel.\n\nThanks, Sam"


def test_gmail_forwarded_message_block() -> None:
    text = ("FYI\n\n---------- Forwarded message ---------\nFrom: Grace Okafor <Grace.Okafor@example.gov.uk>\n"
            "Date: Wed, 18 Nov 2026 at 09:12\nSubject: Re: placement\nTo: Sam Carter <sam.carter@example.gov.uk>\n"
            "Cc: Tom Jones <tm.jones@example.gov.uk>,\n Helen Ward <helen.ward@example.gov.uk>\n\n"
            "Supported from me.\nGrace\n")
    assert find_quotes(text) == [QuotedMessage("grace.okafor@example.gov.uk", "Supported from me.\nGrace")]


def test_apple_begin_forwarded_message() -> None:
    text = ("Begin forwarded message:\n\nFrom: Tom Jones <tm.jones@example.gov.uk>\nSubject: ok\n"
            "Date: 18 November 2026 at 10:00:00 GMT\nTo: sam.carter@example.gov.uk\n\nFine by me.\n")
    assert find_quotes(text) == [QuotedMessage("tm.jones@example.gov.uk", "Fine by me.")]


def test_outlook_header_without_address_has_no_sender() -> None:
    text = "see below\n\nFrom: Jones, Tom\nSent: 19 November 2026 16:02\nTo: Carter, Sam\nSubject: RE: x\n\nApproved.\n"
    assert find_quotes(text) == [QuotedMessage(None, "Approved.")]


def test_outlook_mailto_style_sender() -> None:
    text = ("-----Original Message-----\nFrom: Tom Jones [mailto:TM.Jones@example.gov.uk]\n"
            "Sent: 19 November 2026 16:02\nTo: Sam\nSubject: RE: x\n\nGo ahead.")
    assert find_quotes(text) == [QuotedMessage("tm.jones@example.gov.uk", "Go ahead.")]


def test_a_from_line_in_ordinary_text_is_not_a_quote() -> None:
    text = "Placement request\nFrom: 1 December 2026\nTo: 31 March 2027\nCosts: £850 a week"
    assert find_quotes(text) == []


def test_bottom_posted_reply_is_the_outer_senders_own_text() -> None:
    text = "On Tue, 17 Nov 2026, Tom Jones <tm.jones@example.gov.uk> wrote:\n> Send me the form.\n\nI do not agree.\n"
    assert find_quotes(text) == [QuotedMessage("tm.jones@example.gov.uk", "Send me the form.")]
    assert own_text(text) == "I do not agree."


def test_unattributed_quote_is_searched_but_not_credited() -> None:
    text = "> some quoted words\n> -----Original Message-----\n> From: tm.jones@example.gov.uk\n" \
           "> Sent: today\n> To: x\n>\n> Approved\nreply"
    assert find_quotes(text) == [QuotedMessage("tm.jones@example.gov.uk", "Approved")]


def test_html_forward_and_blockquote_reply() -> None:
    msg = EmailMessage()
    msg["From"] = "sam.carter@example.gov.uk"
    msg.set_content(
        "<div>Please see below.</div><div style='border-top:solid #E1E1E1 1pt'><p><b>From:</b> Tom Jones "
        "&lt;tm.jones@example.gov.uk&gt;<br><b>Sent:</b> 19 November 2026 16:02<br><b>To:</b> Sam Carter<br>"
        "<b>Subject:</b> RE: request</p></div><p>Happy for this to go.</p>"
        "<div>On Mon, 16 Nov 2026, Grace Okafor &lt;grace.okafor@example.gov.uk&gt; wrote:</div>"
        "<blockquote><p>Supported.</p></blockquote>", subtype="html")
    quoted = parse_message(raw(msg)).quoted
    assert quoted == (QuotedMessage("tm.jones@example.gov.uk", "Happy for this to go."),
                      QuotedMessage("grace.okafor@example.gov.uk", "Supported."))


def test_quotes_in_the_body_come_before_attached_messages() -> None:
    inner = email(sender="Helen Ward <helen.ward@example.gov.uk>", body="Agreed.")
    outer = email(body=OUTLOOK_FORWARD)
    outer.add_attachment(inner)
    senders = [q.sender for q in parse_message(raw(outer)).quoted]
    assert senders == ["tm.jones@example.gov.uk", "sam.carter@example.gov.uk", "helen.ward@example.gov.uk"]


def test_very_deep_quoting_does_not_recurse_forever() -> None:
    text = "\n".join(">" * n + " On x, a@example.gov.uk wrote:" for n in range(1, 400))
    assert len(find_quotes(text)) < 20
