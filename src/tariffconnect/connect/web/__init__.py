"""The hosted Connect pages: server-rendered HTML at `/connect/web?fp_cot=cot_…`, driven by the
Connect flow's state machine (`tariffconnect.connect.flow.machine`).

`router` serves the pages, `forms` maps HTML fields to flow requests, `i18n` chooses the
language and formats, `csrf` protects the posts and `chart` draws the summary's prices.
"""
