"""Ratings: once a person resolves a ticket, the customer is asked on their channel to rate it
1 to 5 (email: a link to the status page's rating; WhatsApp: reply with a digit; web: the status
page itself), once per ticket and channel; the rating is stored per ticket and channel, and a
later one on the same channel replaces the earlier."""
