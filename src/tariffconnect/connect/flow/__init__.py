"""The Connect flow: the customer's steps, as a server-side state machine spoken over JSON.

`protocol` is the wire (requests, replies, errors), `machine` the state machine, `steps` one
module per page, `router` the JSON endpoint (`POST /connect/flow`). The hosted pages in
`tariffconnect.connect.web` drive the same machine.
"""
