# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Setup assistant
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or the
# > toolbar's *Restart the kernel and run all cells* button): the app appears under the code
# > cells, ready to use. In the dashboard (`make dashboard`, Voila) it is already running.
#
# Setting up a new printer, scanner or application? Answer a few questions about what it can do
# and what it needs; the assistant picks the way to send through Microsoft 365 and writes
# everything to configure.
#
# 1. **Answer the questions** about the device: TLS 1.2, AUTH (none, a password, OAuth), a
#    static public IP or a certificate, who receives the mail, volume, where it runs, Sent Items.
# 2. Click **Recommend**. The card names the option (SMTP AUTH client submission, direct send or
#    relay through a connector; High Volume Email or another service when none fits) and says
#    why the others do not fit, from Microsoft's comparison table.
# 3. Apply the **device settings**, publish the **DNS records** and run the **PowerShell**
#    (each line has a *Copy* button and says what it does).
# 4. Click **Verify**: the domain audit, then the connection test for the chosen option. With
#    *Demo* ticked both run on this machine (local DNS with the generated records, and the
#    built-in simulator); untick it to check your real domain and Microsoft 365.
# 5. Then check the headers of the first real test message as the last line says.
#
# Below the assistant, **Audit** reviews your current configuration (exports of
# `Get-InboundConnector`, `Get-TransportConfig`... made with `ConvertTo-Json`) for least
# privilege. The password box empties when the verify step starts and is never stored here.

# %% tags=["parameters"]
DEMO = True  # verify against local DNS and the built-in simulator
ANSWERS = {
    "domain": "example.com",
    "sender": "scanner@example.com",
    "tls": True,
    "auth": "none",
    "recipients": "both",
    "static_ips": ["203.0.113.25"],
    "device_name": "Scanner 01",
}  # answers to fill in ({} for an empty form)
AUTO_RUN = True  # recommend and verify straight away
AUDIT_SAMPLE = "bad-tenant"  # a folder in sample_exports/ to audit ("" for none)

# %%
from pathlib import Path

from o365diag.widgets import SetupAssistantApp

EXPORTS = Path.cwd().parent / "sample_exports"

app = SetupAssistantApp(demo=DEMO, exports_dir=EXPORTS)
app.set_answers(ANSWERS)
if AUDIT_SAMPLE and (EXPORTS / AUDIT_SAMPLE).is_dir():
    app.sample.value = str(EXPORTS / AUDIT_SAMPLE)
app

# %%
if AUTO_RUN and ANSWERS:
    app.recommend()
    task = app.verify()
    if task is not None:
        await task
if AUTO_RUN and app.sample.value:
    app.audit()

# %% [markdown]
# ## For power users
#
# The plan is `app.plan` (`app.report` is the JSON contract `o365diag.setup/1`), the verify
# result `app.verify_result`, the audit `app.audit_report` (`o365diag.audit/1`). The same runs
# from code with `plan_setup()` / `verify_plan()` / `audit_files()`, and from a terminal with
# `o365diag setup` (questions asked interactively, or answers as flags) and
# `o365diag audit FOLDER`. `plan.to_notebook_cell()` gives the plan as a Markdown cell to paste
# into a notebook you share.

# %%
from o365diag.widgets import in_dashboard

if app.plan is not None and not in_dashboard():  # the dashboard shows it all in the app
    print("recommended:", app.plan.option)
    print("powershell:")
    print(app.plan.script())
    print("setup finding codes:", ", ".join(app.report.codes()) if app.report else "")
if app.verify_result is not None and not in_dashboard():
    print("verify:", app.verify_result.mode, "smtp outcome:",
          app.verify_result.smtp.data["outcome"] if app.verify_result.smtp else None)
if app.audit_report is not None and not in_dashboard():
    print("audit finding codes:", ", ".join(app.audit_report.codes()))
