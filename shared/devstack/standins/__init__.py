"""Local stand-ins of the outside services the channels call, for the dev stack and the tests.

No function imports these modules: a function reaches a stand-in only because its configured
base URL points at one.
"""
