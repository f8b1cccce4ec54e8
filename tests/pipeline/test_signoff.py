from __future__ import annotations

from carepanel.profiles import load_profile
from carepanel.models import AuthResults, QuotedMessage, Signatory
from carepanel.pipeline.signoff import agrees, check_signoff
from helpers import a_message, a_request

UNSIGNED = Signatory(name="Tom Jones", signed=False)


def test_form_signature_is_found_first(directory) -> None:
    signoff, flags = check_signoff(load_profile("north-somerset"), a_message(sender="tm.jones@example.gov.uk"),
                                   a_request(), directory)
    assert (signoff.source, signoff.by, flags) == ("form_signature", "Tom Jones", [])


def test_sent_from_team_managers_own_address(directory) -> None:
    signoff, flags = check_signoff(load_profile("north-somerset"), a_message(sender="TM.Jones@example.gov.uk".lower()),
                                   a_request(team_manager=UNSIGNED), directory)
    assert (signoff.source, signoff.by, flags) == ("sender_is_manager", "tm.jones@example.gov.uk", [])


def test_spoofed_manager_address_is_not_sign_off(directory) -> None:
    msg = a_message(sender="tm.jones@example.gov.uk", auth=AuthResults(spf="fail", dkim="none", dmarc="fail"))
    signoff, flags = check_signoff(load_profile("north-somerset"), msg, a_request(team_manager=UNSIGNED), directory)
    assert signoff.source is None
    assert [f.code for f in flags] == ["no_manager_signoff"]
    assert "Team Manager" in flags[0].detail


def test_unsigned_form_from_a_social_worker_is_flagged(directory) -> None:
    signoff, flags = check_signoff(load_profile("north-somerset"), a_message(), a_request(team_manager=UNSIGNED), directory)
    assert signoff.source is None and [f.code for f in flags] == ["no_manager_signoff"]


def test_forwarded_approval_counts_only_where_the_profile_accepts_it(directory) -> None:
    quoted = (QuotedMessage("grace.okafor@example.gov.uk", "Hi Sam, I agree this should go to panel. Grace"),)
    msg = a_message(quoted=quoted)
    sg, _ = check_signoff(load_profile("south-gloucestershire"), msg, a_request(team_manager=UNSIGNED), directory)
    assert (sg.source, sg.by) == ("forwarded_approval", "grace.okafor@example.gov.uk")
    # Bexley takes signatures on the form only (north-somerset now takes a forwarded agreement: Rules v2)
    bx, flags = check_signoff(load_profile("bexley"), msg, a_request(team_manager=UNSIGNED), directory)
    assert bx.source is None and flags


def test_forwarded_refusal_is_not_approval(directory) -> None:
    quoted = (QuotedMessage("grace.okafor@example.gov.uk", "I do not agree to this going to panel yet."),)
    signoff, flags = check_signoff(load_profile("south-gloucestershire"), a_message(quoted=quoted),
                                   a_request(team_manager=UNSIGNED), directory)
    assert signoff.source is None and flags


def test_head_of_service_stands_for_service_manager(directory) -> None:
    signoff, flags = check_signoff(load_profile("south-gloucestershire"), a_message(sender="alan.reeve@example.gov.uk"),
                                   a_request(team_manager=UNSIGNED), directory)
    assert signoff.source == "sender_is_manager" and not flags


def test_bexley_needs_both_signatures(directory) -> None:
    only_tm = a_request()
    signoff, flags = check_signoff(load_profile("bexley"), a_message(sender="grace.okafor@example.gov.uk"), only_tm, directory)
    assert [f.code for f in flags] == ["no_manager_signoff"]
    assert "Service Manager" in flags[0].detail
    both = a_request(service_manager=Signatory(name="Grace Okafor", signed=True))
    signoff, flags = check_signoff(load_profile("bexley"), a_message(), both, directory)
    assert signoff.source == "form_signature" and not flags


def test_swindon_reports_the_weakest_evidence_relied_on(directory) -> None:
    signoff, flags = check_signoff(load_profile("swindon"), a_message(sender="grace.okafor@example.gov.uk"),
                                   a_request(), directory)
    assert (signoff.source, signoff.by, flags) == ("sender_is_manager", "grace.okafor@example.gov.uk", [])


def test_agrees() -> None:
    assert agrees("Approved - happy for this to go to CRP on Wednesday")
    assert agrees("I support this request.")
    assert not agrees("Thanks, will read it tomorrow.")
    assert not agrees("I am not happy for this to go; approve only after the FGC.")
