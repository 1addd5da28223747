"""`/uc`: look up, add, edit and preview deletes of user-customer relations.

Read top to bottom: `grammar` (text to typed commands), `views` (the sentences people read),
`listeners` (parse, authorise, call, reply), `forms` (the add and edit modals the listeners
open). The cards themselves are `bot.blocks.user_customer`.
"""
