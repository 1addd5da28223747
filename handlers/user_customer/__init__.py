"""`/uc`: look up, add, edit and preview deletes of user-customer relations.

Read top to bottom, each module building on the ones before it:

- `grammar`: command text and form values to typed commands, and commands back to text (pure).
- `payloads`: every value `/uc` writes into Slack and reads back (block ids, option and button
  values, private_metadata), each with one encode that checks Slack's limit and one decode
  that raises ValidationError ("out of date"); the action and callback ids (pure).
- `views`: how a relation, a change and a lookup are said (pure).
- `listing`, `cards`, `modals`: the Block Kit of list pages; of a relation, a delete preview and
  a write's outcome; of the add and edit forms (pure).
- `forms`: opens the add and edit modals and answers what they submit.
- `listeners`: parse, authorise, call the UserCustomer API, reply.

Deletes are filed by the approvals listeners (`handlers.approvals`), from the preview's button.
"""
