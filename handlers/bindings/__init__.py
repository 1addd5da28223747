"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings.

Read top to bottom: `grammar` (text to typed commands), `cards` (the messages: a binding's card,
lookup answers, the delete preview), `views` (the modals and sentences), `listeners` (parse,
authorise, call, reply). `cards` and `views` are pure.
"""
