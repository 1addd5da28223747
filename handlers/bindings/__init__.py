"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings.

Read top to bottom: `grammar` (text to typed commands), `payloads` (its values in Slack, each
with one encode and one decode, and its action and callback ids), `cards` (the messages: a
binding's card, lookup answers, the delete preview), `views` (the modals and sentences),
`listeners` (parse, authorise, call, reply). All but `listeners` are pure.
"""
