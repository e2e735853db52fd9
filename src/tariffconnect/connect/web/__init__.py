"""The hosted Connect pages: server-rendered HTML at `/connect/web?fp_cot=cot_…`, driven by the
Connect flow's state machine (through `tariffconnect.connect.flow.runner`); they read nothing
from the database themselves.

`router` serves the pages, `visit` reads one request, `responses` answers it (`views` makes
each template's context, `security` its headers and CSRF cookie), `forms` maps HTML fields to
flow requests (`numbers` the money in them), `i18n` chooses the language and formats, `csrf`
signs the posts and `chart` draws the summary's prices.
"""
