"""The rules of the business, written once; the API and the workers both call them.

The domain knows nothing of GraphQL or arq: it takes a `Viewer` and plain
values, reads and writes the models, and raises `DomainError`s with codes.
"""
