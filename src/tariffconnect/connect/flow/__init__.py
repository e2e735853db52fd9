"""The Connect flow: the customer's steps, as a server-side state machine spoken over JSON.

`protocol` is the wire (requests, replies, errors), `machine` the state machine, `runner` one
submit in its own transaction, `steps` the pages, `router` the JSON endpoint
(`POST /connect/flow`). The hosted pages in `tariffconnect.connect.web` drive the same machine.
"""
