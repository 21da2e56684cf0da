"""Community review: what the dashboard shows and what reviewers write.

Everything the Streamlit pages do goes through these modules — queries for the pages, reviewer accounts,
ratings and narrative corrections, their exports and publication as a suite — so the pages stay a thin
shell and every rule (who may write, what a correction must hold) is enforced here, tested without a browser.
"""
