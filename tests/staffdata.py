"""Fictional staff for tests: one of each role the directory knows."""

STAFF_CSV = """name,email,role,team
Sam Carter,sam.carter@example.gov.uk,social_worker,Family Support North
Tom Jones,tm.jones@example.gov.uk,team_manager,Family Support North
Helen Ward,helen.ward@example.gov.uk,team_manager,Children in Care
Grace Okafor,grace.okafor@example.gov.uk,service_manager,Safeguarding
Alan Reeve,alan.reeve@example.gov.uk,head_of_service,Corporate Parenting
Dana Lloyd,dana.lloyd@example.gov.uk,chair,Assistant Director
"""
