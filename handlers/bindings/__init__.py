"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings.

Read top to bottom: `grammar` (text to typed commands), `views` (the sentences people read),
`listeners` (parse, authorise, call, reply). The cards themselves are `bot.blocks.bindings`.
"""
