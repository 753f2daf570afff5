-- Whether the docs could answer: what the customer's yes/no questions asked about ("Do you offer
-- GPU instances?": {GPU,instances}) and which of it the best passage found did not name (all of
-- it when no passage was found). A kb_miss given although a passage was close in topic reads
-- back from these; both are empty when the message asked about nothing in particular.
ALTER TABLE agent_metrics
    ADD COLUMN asked_about  text[],
    ADD COLUMN unmentioned  text[];
