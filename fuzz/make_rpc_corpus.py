#!/usr/bin/env python3
"""Writes rpc_fuzz's seed corpus (fuzz/corpus/rpc_fuzz) from the requests
below: each file is "/package.Service/Method\\n", a byte choosing the caller
(rpc_fuzz.cc's list: 0 admin, 1 grace the grants officer, 2 ade the approver,
3 fin in finance, 4 sam safeguarding, 5 amira the applicant, 6 kofi the
signatory, 7 ola the assessor, 8 mo the moderator, 9 a service, 10 tom of
another organisation, 11 no token, 12 a forged one), then the request encoded
by protoc. "$1" and "$2" stand for the seeded applications' ids.

Run from the project root after changing a request: python3 fuzz/make_rpc_corpus.py
"""
import os
import subprocess

SEEDS = [
    ("create-application", "grantflow.applications.v1.ApplicationService",
     "CreateApplication", 5, "CreateApplicationRequest", """
     request_id: "c1" application { round: "funds/lff/rounds/open"
       organisation: "organisations/hackney-families" title: "Choir"
       amount_requested_pence: 2000000 boroughs_served: "Hackney" }"""),
    ("submit-application", "grantflow.applications.v1.ApplicationService",
     "SubmitApplication", 5, "SubmitApplicationRequest",
     'name: "applications/$1" request_id: "s1"'),
    ("withdraw-application", "grantflow.applications.v1.ApplicationService",
     "WithdrawApplication", 5, "WithdrawApplicationRequest",
     'name: "applications/$1" request_id: "w1"'),
    ("record-fact", "grantflow.workflow.v1.WorkflowService", "RecordFact", 9,
     "RecordFactRequest", """name: "cases/$1" fact: "ELIGIBILITY_CHECK_STARTED"
     on_behalf_of: "grace" request_id: "f1" acting { roles: "grants_officer" }"""),
    ("authorize-payment", "grantflow.workflow.v1.WorkflowService",
     "AuthorizePayment", 9, "AuthorizePaymentRequest", """name: "cases/$2"
     payment_id: "p1" amount_pence: 3000000 request_id: "a1"
     requested_by: "fola" on_behalf_of: "fin"
     acting { roles: "finance_approver" limits_pence { key: "pay" value: 9000000 } }"""),
    ("authorize-early", "grantflow.workflow.v1.WorkflowService",
     "AuthorizePayment", 9, "AuthorizePaymentRequest", """name: "cases/$1"
     payment_id: "p1" amount_pence: 100 request_id: "a2" requested_by: "fola"
     on_behalf_of: "fin" acting { roles: "finance_approver" }"""),
    ("decide-award", "grantflow.awards.v1.AwardService", "DecideAward", 2,
     "DecideAwardRequest", """case: "cases/$1" decision: AWARD
     amount_pence: 2000000 request_id: "d1"
     allocations { budget_line: "funds/lff/budgetLines/grants-b" amount_pence: 2000000 }"""),
    ("update-ceiling", "grantflow.programmes.v1.ProgrammeService",
     "UpdateBudgetLine", 1, "UpdateBudgetLineRequest", """budget_line {
     name: "funds/lff/budgetLines/grants-a" ceiling_pence: 4000000 }
     update_mask { paths: "ceiling_pence" } request_id: "u1" """),
    ("list-cases", "grantflow.workflow.v1.WorkflowService", "ListCases", 1,
     "ListCasesRequest", 'page_size: 3'),
    ("dashboard", "grantflow.workflow.v1.WorkflowService", "GetFundDashboard",
     1, "GetFundDashboardRequest", 'fund: "funds/lff"'),
    ("create-round", "grantflow.programmes.v1.ProgrammeService", "CreateRound",
     0, "CreateRoundRequest", """parent: "funds/lff" round_id: "r2"
     request_id: "r2" round { display_name: "Round 2" min_award_pence: 100
     max_award_pence: 500000 lifecycle_definition: "micro-grant"
     open_time { seconds: 1777539600 } close_time { seconds: 1780218000 }
     budget_lines: "funds/lff/budgetLines/grants-b" }"""),
]


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    proto = os.path.join(root, "..", "proto")
    files = [os.path.relpath(os.path.join(d, f), proto)
             for d, _, fs in os.walk(os.path.join(proto, "grantflow"))
             for f in fs if f.endswith(".proto")]
    out = os.path.join(root, "corpus", "rpc_fuzz")
    os.makedirs(out, exist_ok=True)
    for name, service, method, caller, message, text in SEEDS:
        package = service.rsplit(".", 1)[0]
        encoded = subprocess.run(
            ["protoc", "-I", proto, "-I", "/usr/include",
             "--encode=%s.%s" % (package, message)] + files,
            input=text.encode(), capture_output=True, check=True,
            cwd=proto).stdout
        with open(os.path.join(out, name), "wb") as f:
            f.write(("/%s/%s\n" % (service, method)).encode())
            f.write(bytes([caller]))
            f.write(encoded)


if __name__ == "__main__":
    main()
