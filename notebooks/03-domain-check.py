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
# # 03 · Domain check
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or the
# > toolbar's *Restart the kernel and run all cells* button): the app appears under the code
# > cells, ready to use. In the dashboard (`make dashboard`, Voila) it is already running.
#
# Is your domain ready to send through Microsoft 365 from your printers, scanners and
# applications, and if not, exactly which DNS record must change?
#
# 1. **Try the demo first.** With *Demo* ticked, the check runs against a built-in example
#    domain served by a DNS server on this machine: no network needed. Pick a scenario (the
#    scanner's IP missing from SPF, SPF over 10 lookups, DKIM never enabled...) and click
#    **Check**.
# 2. **Then check your domain.** Untick *Demo*, type the domain and the **public** IP addresses
#    your devices send from (comma-separated). Leave *DNS server* empty to use this machine's
#    resolver, or give one (`HOST[:PORT]`).
# 3. Read the **traffic lights**: one per record (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT,
#    autodiscover, blocklists). The chart shows the SPF include tree with the DNS lookups each
#    record costs (receivers stop at 10). The findings below say what is wrong and give the
#    exact record to publish.
#
# Nothing is changed anywhere: the check only reads DNS. Blocklists refuse queries from public
# resolvers (8.8.8.8, 1.1.1.1...): use your own resolver for that part.

# %% tags=["parameters"]
DEMO = True  # use the built-in example domain
SCENARIO = "scanner-not-in-spf"  # ready, scanner-not-in-spf, too-many-lookups, dkim-not-enabled
AUTO_RUN = True  # run the check straight away

# %%
from o365diag.widgets.domain import DomainCheckApp

app = DomainCheckApp(demo=DEMO, scenario=SCENARIO)
app

# %%
if AUTO_RUN:
    await app.run()

# %% [markdown]
# ## For power users
#
# The last result is `app.report` (JSON contract `o365diag.dns/1`). The same check runs from
# code with `o365diag.dns.audit_domain`, SPF alone with `o365diag.dns.check_host` (each
# record and term in its trace), and from a terminal with
# `o365diag dns DOMAIN --ip IP` or `o365diag spf --ip IP --mail-from ADDR`.

# %%
from o365diag.widgets import in_dashboard

if app.report is not None and not in_dashboard():  # the dashboard shows it all in the app
    data = app.report.to_dict()
    print("readiness:", ", ".join(f"{area} {level}" for area, level in data["readiness"].items()))
    for row in data["spf_checks"]:
        print(f"check_host {row['ip']}: {row['result']} via {' > '.join(row['path'])}")
    print("finding codes:", ", ".join(app.report.codes()))
