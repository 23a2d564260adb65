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
# # o365diag: start here
#
# A troubleshooting kit for mail that applications, printers and scanners send through
# Microsoft 365. Every notebook works offline: on the sample headers shipped in
# `sample_headers/` and on the built-in Microsoft 365-like SMTP simulator, so you can try each
# step before pointing it at your own tenant.
#
# **What is the symptom?** Pick it below and follow the link.

# %% tags=["parameters"]
SYMPTOM = ""  # preselect a symptom by its key, e.g. "junk" (used by automated runs)

# %%
from o365diag.widgets.start import StartHereApp

app = StartHereApp(symptom=SYMPTOM or None)
app

# %% [markdown]
# ## The notebooks
#
# | Notebook | Use it when |
# |---|---|
# | [01 · Header analyzer](01-header-analyzer.ipynb) | a message was junked, quarantined, rejected or slow: paste its headers |
# | [02 · Connection test](02-connection-test.ipynb) | a device or app cannot send: run its SMTP session step by step (demo mode needs no tenant) |
# | [03 · Domain check](03-domain-check.ipynb) | is the domain ready for this device: MX, SPF for its IP, DKIM, DMARC, blocklists |
# | [04 · Trace volume](04-trace-volume.ipynb) | outbound volume looks wrong: load a message-trace export, see spikes and failures |
# | [05 · Setup assistant](05-setup-assistant.ipynb) | setting up a new device: the right sending option, its settings, DNS records and PowerShell |
#
# Every app has an **Export** button: one HTML file (charts work offline) and a Markdown summary
# for a ticket, with optional redaction of names and addresses.
#
# ## From the command line
#
# Everything here also runs in a terminal, for scripts and for people who prefer it:
#
# ```
# o365diag headers message.eml                     # why was it junked / slow?
# o365diag smtp --demo auth-disabled               # a session against the built-in simulator
# o365diag dns example.com --ip 203.0.113.10       # is the domain ready for this device?
# o365diag trace export.csv --html trace.html      # volume, anomalies, failures
# o365diag setup                                   # which sending option, and its configuration
# ```
