"""Response generation: templates, FAQ retrieval and a small causal LM behind a slot guard.

The layers are ordered by how much they can be trusted: a filled template is
always correct, a retrieved FAQ answer is correct when similar enough, and a
generated text is used only when the guard finds exactly the right slot values
in it. Anything the guard rejects falls back to the template.
"""
