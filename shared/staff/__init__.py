"""The staff side: accounts and sessions, the queue, and what a person does with a ticket."""
