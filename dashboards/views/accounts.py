"""Accounts (admins): who has an account, and lifting wrong-password locks.

Making, removing and changing accounts stays on the command line (`evalharness reviewers …`), with whoever
runs the server; an admin here can only see the accounts and unlock a name that wrong passwords locked.
"""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community import accounts
from evalharness.errors import EvalHarnessError, StoreError


def _unlock(name: str) -> None:
    try:
        ui.require_account("admin")  # the admin as they are now
        accounts.unlock(ui.store(write=True), name)
    except StoreError:
        st.session_state["acct_flash"] = ("error", "Not done: the results file is busy; try again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["acct_flash"] = ("error", f"Not done: {ui.escape(exc)}")
        return
    st.session_state["acct_flash"] = ("success", f"{ui.escape(name)} can sign in again.")


def render() -> None:
    st.title("Accounts")
    ui.page_start()
    who = ui.account()
    if who is None or not who.is_admin:
        st.info("Only an admin can see the accounts. Please sign in as an admin.")
        st.stop()
    st.write("Everyone who can sign in. Accounts are made, removed and given new passwords or roles by the "
             "person who runs the server (`evalharness reviewers …`).")
    flash = st.session_state.pop("acct_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    with ui.friendly_errors():
        for account in accounts.list_accounts(ui.store()):
            with st.container(border=True):
                locked = account.locked_until is not None
                st.markdown(f"**{ui.escape(account.name)}** · {account.role}"
                            + (f" · locked after wrong passwords (until {account.locked_until:%H:%M})" if locked
                               else ""))
                if locked or account.failed_attempts:
                    st.button("Unlock", key=f"acct_unlock_{account.name}", on_click=_unlock, args=(account.name,),
                              help="Forget the wrong passwords counted for this name, from every address.")
